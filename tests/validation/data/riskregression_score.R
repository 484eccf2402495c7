# Reference values for tests/validation/test_monitoring_stats.py: riskRegression::Score on the shared example
# (competing risks, cause 1, marginal Kaplan-Meier censoring model, horizon 180 days).
# Run: Rscript tests/validation/data/riskregression_score.R tests/validation/data/competing_example.json
suppressPackageStartupMessages({library(survival); library(riskRegression); library(prodlim); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- fromJSON(args[1])
df <- data.frame(time = d$time, status = d$status)
risk <- matrix(d$risk, ncol = 1)
s <- Score(list(model = risk), formula = Hist(time, status) ~ 1, data = df, times = d$horizon, cause = 1,
           metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE, se.fit = FALSE)
out <- list(auc = s$AUC$score$AUC[1], brier = s$Brier$score$Brier[1],
            version = as.character(packageVersion("riskRegression")))
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
