# R / pROC reference for HSP Desktop's DeLong implementation (models/metrics.py).
# Usage: Rscript proc_reference.R <folder with cases.csv>   -> writes <folder>/reference.csv
suppressPackageStartupMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
folder <- if (length(args) > 0) args[1] else "."
d <- read.csv(file.path(folder, "cases.csv"))
out <- NULL
for (k in sort(unique(d$case))) {
  x <- d[d$case == k, ]
  r1 <- roc(x$y, x$s1, levels = c(0, 1), direction = "<", quiet = TRUE)
  r2 <- roc(x$y, x$s2, levels = c(0, 1), direction = "<", quiet = TRUE)
  ci1 <- ci.auc(r1, method = "delong", conf.level = 0.95)
  t <- roc.test(r1, r2, method = "delong", paired = TRUE)
  out <- rbind(out, data.frame(
    case = k,
    auc1 = as.numeric(auc(r1)), auc2 = as.numeric(auc(r2)),
    var1 = var(r1, method = "delong"), var2 = var(r2, method = "delong"),
    ci1_low = ci1[1], ci1_high = ci1[3],
    z = unname(t$statistic), p = t$p.value,
    diff_ci_low = t$conf.int[1], diff_ci_high = t$conf.int[2]
  ))
}
write.csv(out, file.path(folder, "reference.csv"), row.names = FALSE)
cat(sprintf("pROC %s, %s: %d cases\n", as.character(packageVersion("pROC")), R.version.string, nrow(out)))
