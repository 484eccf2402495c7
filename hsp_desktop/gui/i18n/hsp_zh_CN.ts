<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutPage</name>
    <message>
        <source>Build {0}. Python {1}, SQLite {2}, {3}.</source>
        <extracomment>The runtime dependencies of pyproject.toml, both ONNX Runtime flavours (one is installed) and flwr (tests/packaging/test_dependencies.py keeps this list equal to pyproject.toml's).</extracomment>
        <translation>构建 {0}。Python {1}，SQLite {2}，{3}。</translation>
    </message>
    <message>
        <source>Intended use: </source>
        <translation>预期用途：</translation>
    </message>
    <message>
        <source>Component</source>
        <translation>组件</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Run &amp;self-test</source>
        <translation>运行自检(&amp;S)</translation>
    </message>
    <message>
        <source>Third-party components</source>
        <translation>第三方组件</translation>
    </message>
    <message>
        <source>Running self-test...</source>
        <translation>正在自检……</translation>
    </message>
    <message>
        <source>ONNX Runtime provider: {0}</source>
        <translation>ONNX Runtime 执行提供程序：{0}</translation>
    </message>
    <message>
        <source>Self-test PASSED</source>
        <translation>自检通过</translation>
    </message>
    <message>
        <source>Self-test FAILED</source>
        <translation>自检未通过</translation>
    </message>
    <message>
        <source>Self-test could not run: {0}</source>
        <translation>自检无法运行：{0}</translation>
    </message>
</context>
<context>
    <name>AdminPage</name>
    <message>
        <source>clinician</source>
        <translation>临床医生</translation>
    </message>
    <message>
        <source>study coordinator</source>
        <translation>研究协调员</translation>
    </message>
    <message>
        <source>read-only</source>
        <translation>只读</translation>
    </message>
    <message>
        <source>administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Locked until</source>
        <translation>锁定至</translation>
    </message>
    <message>
        <source>Last sign-in</source>
        <translation>最近登录</translation>
    </message>
    <message>
        <source>&amp;Add user</source>
        <translation>添加用户(&amp;A)</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Deactivate...</source>
        <translation>停用……</translation>
    </message>
    <message>
        <source>User accounts</source>
        <translation>用户账户</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Initial password</source>
        <translation>初始密码</translation>
    </message>
    <message>
        <source>Convert suspected unit traps (each is listed in the report)</source>
        <translation>换算疑似单位错误的数值（每项均列在报告中）</translation>
    </message>
    <message>
        <source>&amp;Import clinical.csv...</source>
        <translation>导入 clinical.csv(&amp;I)……</translation>
    </message>
    <message>
        <source>Import &amp;followup.csv...</source>
        <translation>导入 followup.csv(&amp;F)……</translation>
    </message>
    <message>
        <source>Include names, MRNs and dates (identified export)</source>
        <translation>包含姓名、病历号和日期（可识别导出）</translation>
    </message>
    <message>
        <source>&amp;Export (REDCap layout)...</source>
        <translation>导出（REDCap 格式）(&amp;E)……</translation>
    </message>
    <message>
        <source>Import and export</source>
        <translation>导入与导出</translation>
    </message>
    <message>
        <source>Imports are all-or-nothing: one bad row and nothing is imported.</source>
        <translation>导入为全有或全无：只要有一行有误，就不导入任何数据。</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Deactivate account</source>
        <translation>停用账户</translation>
    </message>
    <message>
        <source>Why is {0}'s account deactivated?</source>
        <translation>停用 {0} 账户的原因：</translation>
    </message>
    <message>
        <source>clinical.csv to import</source>
        <translation>要导入的 clinical.csv</translation>
    </message>
    <message>
        <source>followup.csv to import</source>
        <translation>要导入的 followup.csv</translation>
    </message>
    <message>
        <source>Export folder</source>
        <translation>导出文件夹</translation>
    </message>
    <message>
        <source>Written:</source>
        <translation>已写入：</translation>
    </message>
</context>
<context>
    <name>AuditPage</name>
    <message>
        <source>No.</source>
        <translation>序号</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Table</source>
        <translation>数据表</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>行</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>变更</translation>
    </message>
    <message>
        <source>added</source>
        <translation>新增</translation>
    </message>
    <message>
        <source>changed</source>
        <translation>修改</translation>
    </message>
    <message>
        <source>deleted</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>recipient</source>
        <translation>受者</translation>
    </message>
    <message>
        <source>enrolment</source>
        <translation>入组</translation>
    </message>
    <message>
        <source>pre-operative form</source>
        <translation>术前表单</translation>
    </message>
    <message>
        <source>imaging study</source>
        <translation>影像检查</translation>
    </message>
    <message>
        <source>radiomics features</source>
        <translation>影像组学特征</translation>
    </message>
    <message>
        <source>prediction</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>follow-up visit</source>
        <translation>随访</translation>
    </message>
    <message>
        <source>outcome</source>
        <translation>结局</translation>
    </message>
    <message>
        <source>user account</source>
        <translation>用户账户</translation>
    </message>
    <message>
        <source>setting</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>federation message</source>
        <translation>联邦学习消息</translation>
    </message>
    <message>
        <source>DICOM transfer</source>
        <translation>DICOM 传输</translation>
    </message>
    <message>
        <source>All tables</source>
        <extracomment>Bookkeeping columns not worth showing in a change.</extracomment>
        <translation>全部数据表</translation>
    </message>
    <message>
        <source>study ID</source>
        <translation>研究编号</translation>
    </message>
    <message>
        <source>&amp;Verify audit chain</source>
        <translation>验证审计链(&amp;V)</translation>
    </message>
    <message>
        <source>Recipient</source>
        <translation>受者</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>All users</source>
        <translation>全部用户</translation>
    </message>
    <message>
        <source>{0} entries shown (times in this workstation's time zone)</source>
        <translation>显示 {0} 条记录（时间为本工作站时区）</translation>
    </message>
    <message>
        <source>Verification FAILED: {0}</source>
        <translation>验证失败：{0}</translation>
    </message>
    <message>
        <source>Audit chain verified: no edit or deletion outside the application.</source>
        <translation>审计链已验证：没有在本软件之外的修改或删除。</translation>
    </message>
    <message>
        <source>Audit chain BROKEN: {0}</source>
        <translation>审计链被破坏：{0}</translation>
    </message>
</context>
<context>
    <name>ChartPage</name>
    <message>
        <source>Registered</source>
        <translation>登记时间</translation>
    </message>
    <message>
        <source>CT</source>
        <translation>CT</translation>
    </message>
    <message>
        <source>Mask</source>
        <translation>分割</translation>
    </message>
    <message>
        <source>CT SHA-256</source>
        <translation>CT SHA-256</translation>
    </message>
    <message>
        <source>QC</source>
        <translation>质控</translation>
    </message>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Risk</source>
        <translation>风险</translation>
    </message>
    <message>
        <source>Band</source>
        <translation>风险等级</translation>
    </message>
    <message>
        <source>CT series</source>
        <translation>CT 序列</translation>
    </message>
    <message>
        <source>Spleen segment</source>
        <translation>脾脏分割段</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>身份核对</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作者</translation>
    </message>
    <message>
        <source>PDF</source>
        <translation>PDF</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>术后天数</translation>
    </message>
    <message>
        <source>Platelets</source>
        <translation>血小板</translation>
    </message>
    <message>
        <source>WBC</source>
        <translation>白细胞</translation>
    </message>
    <message>
        <source>Haemoglobin</source>
        <translation>血红蛋白</translation>
    </message>
    <message>
        <source>&amp;Open PDF</source>
        <translation>打开 PDF(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Print PDF...</source>
        <translation>打印 PDF(&amp;P)...</translation>
    </message>
    <message>
        <source>Show on the &amp;Imaging screen</source>
        <translation>在影像界面显示(&amp;I)</translation>
    </message>
    <message>
        <source>Registered CT and mask</source>
        <translation>已登记的 CT 与分割</translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation>预测记录</translation>
    </message>
    <message>
        <source>Follow-up visits</source>
        <translation>随访记录</translation>
    </message>
    <message>
        <source>Select a recipient on the Worklist first.</source>
        <translation>请先在工作列表中选择受者。</translation>
    </message>
    <message>
        <source>Recipient {0} - CT {1}, transplant {2}, status {3}</source>
        <translation>受者 {0} - CT {1}，移植 {2}，状态 {3}</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>FAILED</source>
        <translation>未通过</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Print {0}</source>
        <translation>打印 {0}</translation>
    </message>
</context>
<context>
    <name>DashboardPage</name>
    <message>
        <source>Band</source>
        <extracomment>charts computed with the report (key -&gt; PNG bytes): drawn off the GUI thread</extracomment>
        <translation>风险分层</translation>
    </message>
    <message>
        <source>Recipients</source>
        <translation>受者数</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>事件数</translation>
    </message>
    <message>
        <source>Mean predicted</source>
        <translation>平均预测风险</translation>
    </message>
    <message>
        <source>Observed</source>
        <translation>实际发生率</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入变量</translation>
    </message>
    <message>
        <source>Outside development range</source>
        <translation>超出建模队列范围</translation>
    </message>
    <message>
        <source>PSI</source>
        <translation>PSI</translation>
    </message>
    <message>
        <source>p</source>
        <translation>p</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>警报</translation>
    </message>
    <message>
        <source>Study ID</source>
        <translation>研究编号</translation>
    </message>
    <message>
        <source>Visit</source>
        <translation>随访</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Computing the monitoring report...</source>
        <translation>正在计算监测报告...</translation>
    </message>
    <message>
        <source>The monitoring report could not be computed: {0}</source>
        <translation>无法计算监测报告：{0}</translation>
    </message>
    <message>
        <source>calibration</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>input drift</source>
        <translation>输入漂移</translation>
    </message>
    <message>
        <source>new scanner/protocol</source>
        <translation>新扫描仪/协议</translation>
    </message>
    <message>
        <source>{0} alarm(s):</source>
        <translation>{0} 项警报：</translation>
    </message>
    <message>
        <source>No alarm.</source>
        <translation>无警报。</translation>
    </message>
    <message>
        <source>platelets % change</source>
        <translation>血小板变化 %</translation>
    </message>
    <message>
        <source>WBC % change</source>
        <translation>白细胞变化 %</translation>
    </message>
    <message>
        <source>spleen volume ratio SV6/SV0</source>
        <translation>脾体积比 SV6/SV0</translation>
    </message>
    <message>
        <source>{0}: median {1:.2f} (IQR {2:.2f} to {3:.2f}, n {4})</source>
        <translation>{0}：中位数 {1:.2f}（四分位距 {2:.2f} 至 {3:.2f}，n {4}）</translation>
    </message>
    <message>
        <source>recovery: {0}</source>
        <translation>恢复：{0}</translation>
    </message>
    <message>
        <source>Secondary outcomes: {0}</source>
        <translation>次要结局：{0}</translation>
    </message>
    <message>
        <source>none yet</source>
        <translation>暂无</translation>
    </message>
    <message>
        <source>No recipient has been scored yet.</source>
        <translation>尚无受者完成评分。</translation>
    </message>
    <message>
        <source>{0} scored before transplantation, {1} with outcome ({2} events); excluded predictions made on or after the transplant date: {3}.</source>
        <translation>移植前评分 {0} 例，有结局 {1} 例（事件 {2} 例）；已排除移植当天或之后做出的预测：{3}。</translation>
    </message>
    <message>
        <source>Updated from {0} by {1}.</source>
        <translation>由 {1} 从 {0} 更新。</translation>
    </message>
    <message>
        <source>O/E {0:.2f} (exact 95% CI {1:.2f}-{2:.2f})</source>
        <translation>O/E {0:.2f}（精确 95% CI {1:.2f}-{2:.2f}）</translation>
    </message>
    <message>
        <source>AUC {0:.3f} (95% CI {1:.3f}-{2:.3f}); Brier {3:.3f}</source>
        <translation>AUC {0:.3f}（95% CI {1:.3f}-{2:.3f}）；Brier {3:.3f}</translation>
    </message>
    <message>
        <source>calibration intercept {0:.2f} ({1:.2f} to {2:.2f}), slope {3:.2f} ({4:.2f} to {5:.2f})</source>
        <translation>校准截距 {0:.2f}（{1:.2f} 至 {2:.2f}），斜率 {3:.2f}（{4:.2f} 至 {5:.2f}）</translation>
    </message>
    <message>
        <source>net benefit at {0:.0%}: {1:.3f} (treat all {2:.3f})</source>
        <translation>{0:.0%} 处净获益：{1:.3f}（全部治疗 {2:.3f}）</translation>
    </message>
    <message>
        <source>ALARM</source>
        <translation>警报</translation>
    </message>
    <message>
        <source>new since development: {0}</source>
        <translation>建模后新出现：{0}</translation>
    </message>
    <message>
        <source>Cumulative incidence at day {0} (death / re-transplant competing): {1:.1%} ({2} events, {3} competing, {4} censored)</source>
        <translation>第 {0} 天累积发生率（死亡/再次移植为竞争事件）：{1:.1%}（事件 {2}，竞争 {3}，删失 {4}）</translation>
    </message>
    <message>
        <source>IPCW 6-month AUC {0:.3f}, Brier {1:.3f}</source>
        <translation>IPCW 6 个月 AUC {0:.3f}，Brier {1:.3f}</translation>
    </message>
    <message>
        <source>Observed vs predicted by risk band</source>
        <translation>各风险分层的实际与预测比较</translation>
    </message>
    <message>
        <source>Follow-up visits due or overdue</source>
        <translation>到期或逾期的随访</translation>
    </message>
    <message>
        <source>{0} scored, {1} with outcome ({2} events), {3} pending, {4} competing events.</source>
        <translation>已评分 {0} 例，已知结局 {1} 例（事件 {2} 例），待定 {3} 例，竞争事件 {4} 例。</translation>
    </message>
    <message>
        <source>AUC not yet available</source>
        <translation>AUC 暂不可用</translation>
    </message>
    <message>
        <source>{0} days overdue</source>
        <translation>逾期 {0} 天</translation>
    </message>
    <message>
        <source>Locked model:</source>
        <translation>锁定模型：</translation>
    </message>
    <message>
        <source>Locked model on recipients scored before transplantation</source>
        <translation>锁定模型在移植前评分受者中的表现</translation>
    </message>
    <message>
        <source>Input drift against the development cohort</source>
        <translation>相对建模队列的输入漂移</translation>
    </message>
    <message>
        <source>due</source>
        <translation>到期</translation>
    </message>
    <message>
        <source>day {0}</source>
        <translation>第 {0} 天</translation>
    </message>
</context>
<context>
    <name>FederationPage</name>
    <message>
        <source>folder from the coordinator with ca.crt and node.key</source>
        <translation>协调方提供的文件夹（含 ca.crt 和 node.key）</translation>
    </message>
    <message>
        <source>this centre's registry (.db) or a cohort folder</source>
        <translation>本中心的登记库（.db）或队列文件夹</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>浏览……</translation>
    </message>
    <message>
        <source>&amp;Join (start this site)</source>
        <translation>加入（启动本中心节点）(&amp;J)</translation>
    </message>
    <message>
        <source>&amp;Leave</source>
        <translation>退出(&amp;L)</translation>
    </message>
    <message>
        <source>Not connected.</source>
        <translation>未连接。</translation>
    </message>
    <message>
        <source>Join a federation</source>
        <translation>加入联邦学习</translation>
    </message>
    <message>
        <source>Coordinator address</source>
        <translation>协调方地址</translation>
    </message>
    <message>
        <source>Certificates folder</source>
        <translation>证书文件夹</translation>
    </message>
    <message>
        <source>Site data</source>
        <translation>中心数据</translation>
    </message>
    <message>
        <source>Site name</source>
        <translation>中心名称</translation>
    </message>
    <message>
        <source>Open &amp;plan...</source>
        <translation>打开计划(&amp;P)……</translation>
    </message>
    <message>
        <source>&amp;Approve this plan for this site</source>
        <translation>批准本中心执行此计划(&amp;A)</translation>
    </message>
    <message>
        <source>Coordinator's plan</source>
        <translation>协调方的计划</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Round</source>
        <translation>轮次</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Bytes</source>
        <translation>字节</translation>
    </message>
    <message>
        <source>Rounds and every message this site sent</source>
        <translation>轮次及本中心发送的每条消息</translation>
    </message>
    <message>
        <source>Open &amp;results...</source>
        <translation>打开结果(&amp;R)……</translation>
    </message>
    <message>
        <source>Run a &amp;demonstration (3 synthetic centres on this computer)</source>
        <translation>运行演示（本机上 3 个合成中心）(&amp;D)</translation>
    </message>
    <message>
        <source>without network processes (dry run)</source>
        <translation>不启动网络进程（演练）</translation>
    </message>
    <message>
        <source>with the Rad-score feature election (CT images)</source>
        <translation>包含影像组学评分特征选举（CT 图像）</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Radiomics feature</source>
        <translation>影像组学特征</translation>
    </message>
    <message>
        <source>Votes</source>
        <translation>票数</translation>
    </message>
    <message>
        <source>Elected</source>
        <translation>当选</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Plan from the coordinator</source>
        <translation>协调方的计划</translation>
    </message>
    <message>
        <source>Federated results</source>
        <translation>联邦结果</translation>
    </message>
    <message>
        <source>Approved by {0} at {1}.</source>
        <translation>由 {0} 于 {1} 批准。</translation>
    </message>
    <message>
        <source>Not approved: this site will refuse to take part.</source>
        <translation>未批准：本中心将拒绝参与。</translation>
    </message>
    <message>
        <source>Fill in the certificates folder, the site data and the site name.</source>
        <translation>请填写证书文件夹、中心数据和中心名称。</translation>
    </message>
    <message>
        <source>Site running; connecting to {0}.</source>
        <translation>本中心节点运行中；正在连接 {0}。</translation>
    </message>
    <message>
        <source>The site stopped: {0}</source>
        <translation>本中心节点已停止：{0}</translation>
    </message>
    <message>
        <source>Outbox hash chain intact.</source>
        <translation>发件记录哈希链完整。</translation>
    </message>
    <message>
        <source>OUTBOX LOG WAS EDITED.</source>
        <translation>发件记录已被篡改。</translation>
    </message>
    <message>
        <source>Run {0}: {1} of {2} rounds sent</source>
        <translation>运行 {0}：已发送 {1}/{2} 轮</translation>
    </message>
    <message>
        <source>Not a federated result file ({0}).</source>
        <translation>不是联邦结果文件（{0}）。</translation>
    </message>
    <message>
        <source>Rad-score feature election: {0} candidates, {1} sites voted, quorum {2}; {3} elected.</source>
        <translation>影像组学评分特征选举：候选特征 {0} 个，{1} 个中心投票，法定比例 {2}；当选 {3} 个。</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
</context>
<context>
    <name>FollowUpPage</name>
    <message>
        <source>Platelets</source>
        <translation>血小板</translation>
    </message>
    <message>
        <source>WBC</source>
        <translation>白细胞</translation>
    </message>
    <message>
        <source>Haemoglobin</source>
        <translation>血红蛋白</translation>
    </message>
    <message>
        <source>Spleen volume</source>
        <translation>脾脏体积</translation>
    </message>
    <message>
        <source>Spleen length</source>
        <translation>脾脏长径</translation>
    </message>
    <message>
        <source>Portal-vein stenosis/thrombosis</source>
        <translation>门静脉狭窄/血栓</translation>
    </message>
    <message>
        <source>Hepatic-artery thrombosis</source>
        <translation>肝动脉血栓</translation>
    </message>
    <message>
        <source>Rejection or graft dysfunction</source>
        <translation>排斥反应或移植物功能障碍</translation>
    </message>
    <message>
        <source>CMV/EBV infection or sepsis</source>
        <translation>CMV/EBV 感染或脓毒症</translation>
    </message>
    <message>
        <source>Myelotoxic drugs (MMF, valganciclovir, TMP-SMX, mTOR)</source>
        <translation>骨髓毒性药物（MMF、缬更昔洛韦、复方新诺明、mTOR 抑制剂）</translation>
    </message>
    <message>
        <source>Bleeding</source>
        <translation>出血</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Partial splenic embolisation</source>
        <translation>部分脾栓塞</translation>
    </message>
    <message>
        <source>Splenectomy</source>
        <translation>脾切除</translation>
    </message>
    <message>
        <source>TPO-receptor agonist</source>
        <translation>TPO 受体激动剂</translation>
    </message>
    <message>
        <source>Death</source>
        <translation>死亡</translation>
    </message>
    <message>
        <source>Re-transplantation</source>
        <translation>再次移植</translation>
    </message>
    <message>
        <source>platelet change</source>
        <extracomment>Secondary (splenic function recovery) measures shown under the outcome: (key, label, unit).</extracomment>
        <translation>血小板变化</translation>
    </message>
    <message>
        <source>WBC change</source>
        <translation>白细胞变化</translation>
    </message>
    <message>
        <source>spleen volume 6 months / before transplant</source>
        <translation>脾脏体积（6个月/移植前）</translation>
    </message>
    <message>
        <source>days to platelets &gt;= 100</source>
        <translation>血小板 ≥ 100 所需天数</translation>
    </message>
    <message>
        <source>recovery grade</source>
        <translation>恢复等级</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>天数</translation>
    </message>
    <message>
        <source>Treatment</source>
        <translation>治疗</translation>
    </message>
    <message>
        <source>Event</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Visit</source>
        <translation>随访</translation>
    </message>
    <message>
        <source>Target date</source>
        <translation>目标日期</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>时间窗</translation>
    </message>
    <message>
        <source>Measurements</source>
        <translation>测量次数</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Study ID</source>
        <translation>研究编号</translation>
    </message>
    <message>
        <source>done</source>
        <extracomment>Visit states as the schedule names them.</extracomment>
        <translation>已完成</translation>
    </message>
    <message>
        <source>upcoming</source>
        <translation>未到期</translation>
    </message>
    <message>
        <source>due</source>
        <translation>到期</translation>
    </message>
    <message>
        <source>overdue</source>
        <translation>逾期</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>已错过</translation>
    </message>
    <message>
        <source>overdue ({0} days)</source>
        <extracomment>The empty visit date (shown blank): the user must pick the date, it never defaults to today.</extracomment>
        <translation>逾期（{0} 天）</translation>
    </message>
    <message>
        <source>day {0}</source>
        <translation>第 {0} 天</translation>
    </message>
    <message>
        <source>&amp;Correct selected visit</source>
        <extracomment>The visit being corrected (None: the form records a new visit).</extracomment>
        <translation>更正所选随访(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Delete selected visit...</source>
        <translation>删除所选随访(&amp;D)……</translation>
    </message>
    <message>
        <source>Double-click a visit to put its target date in the form</source>
        <translation>双击某次随访，将其目标日期填入表单</translation>
    </message>
    <message>
        <source>Double-click a row to open that recipient's follow-up</source>
        <translation>双击一行，打开该受者的随访</translation>
    </message>
    <message>
        <source>Schedule of this recipient (target day and window)</source>
        <translation>本受者的随访计划（目标日与时间窗）</translation>
    </message>
    <message>
        <source>Visits due or overdue (all recipients)</source>
        <translation>到期或逾期的随访（全部受者）</translation>
    </message>
    <message>
        <source>New visit</source>
        <translation>新随访</translation>
    </message>
    <message>
        <source>choose the date</source>
        <translation>请选择日期</translation>
    </message>
    <message>
        <source>Visit date</source>
        <translation>随访日期</translation>
    </message>
    <message>
        <source>not measured</source>
        <translation>未测</translation>
    </message>
    <message>
        <source>Adjudication (other causes of cytopenia) and events</source>
        <translation>裁定（血细胞减少的其他原因）与事件</translation>
    </message>
    <message>
        <source>Treatment for hypersplenism</source>
        <translation>脾功能亢进的治疗</translation>
    </message>
    <message>
        <source>&amp;Save visit</source>
        <translation>保存随访(&amp;S)</translation>
    </message>
    <message>
        <source>Cancel correction</source>
        <translation>取消更正</translation>
    </message>
    <message>
        <source>Derived outcome (protocol definition)</source>
        <translation>推导的结局（方案定义）</translation>
    </message>
    <message>
        <source>Select a recipient on the Worklist or in the list of due visits.</source>
        <translation>请在工作列表或到期随访列表中选择受者。</translation>
    </message>
    <message>
        <source>Recipient {0}: follow-up visits (transplant {1}).</source>
        <translation>受者 {0}：随访记录（移植日期 {1}）。</translation>
    </message>
    <message>
        <source>day {0} after transplant</source>
        <translation>移植后第 {0} 天</translation>
    </message>
    <message>
        <source>Refractory hypersplenism at 6 months: YES</source>
        <translation>6个月难治性脾功能亢进：是</translation>
    </message>
    <message>
        <source>Refractory hypersplenism at 6 months: no</source>
        <translation>6个月难治性脾功能亢进：否</translation>
    </message>
    <message>
        <source>Outcome pending</source>
        <translation>结局待定</translation>
    </message>
    <message>
        <source>Competing event (death or re-transplantation): outcome not assessable</source>
        <translation>竞争事件（死亡或再次移植）：结局无法评估</translation>
    </message>
    <message>
        <source>Outcome: {0}</source>
        <translation>结局：{0}</translation>
    </message>
    <message>
        <source>Flags: {0}</source>
        <translation>标记：{0}</translation>
    </message>
    <message>
        <source>Recovery: {0}</source>
        <translation>恢复情况：{0}</translation>
    </message>
    <message>
        <source>Definition {0}</source>
        <translation>定义 {0}</translation>
    </message>
    <message>
        <source>Unsaved visit</source>
        <translation>随访未保存</translation>
    </message>
    <message>
        <source>The visit in the form is not saved. Discard it?</source>
        <translation>表单中的随访尚未保存。要放弃吗？</translation>
    </message>
    <message>
        <source>Correcting the visit of {0}</source>
        <translation>正在更正 {0} 的随访</translation>
    </message>
    <message>
        <source>&amp;Save correction...</source>
        <translation>保存更正(&amp;S)……</translation>
    </message>
    <message>
        <source>Delete visit</source>
        <translation>删除随访</translation>
    </message>
    <message>
        <source>Why is this visit deleted?</source>
        <translation>删除此次随访的原因：</translation>
    </message>
    <message>
        <source>Check the unit</source>
        <translation>请核对单位</translation>
    </message>
    <message>
        <source>{0}: {1:g} looks like {2}; convert to {3:g} {4}?</source>
        <translation>{0}：{1:g} 看起来是以 {2} 为单位；换算为 {3:g} {4}？</translation>
    </message>
    <message>
        <source>Convert</source>
        <translation>换算</translation>
    </message>
    <message>
        <source>Edit the value</source>
        <translation>修改数值</translation>
    </message>
    <message>
        <source>Choose the date of the visit first.</source>
        <translation>请先选择随访日期。</translation>
    </message>
    <message>
        <source>Reason for change</source>
        <translation>修改原因</translation>
    </message>
    <message>
        <source>Why is this visit corrected?</source>
        <translation>更正此次随访的原因：</translation>
    </message>
    <message>
        <source>This recipient's data are locked. Reason for the change:</source>
        <translation>该受者的数据已锁定。修改原因：</translation>
    </message>
</context>
<context>
    <name>HelpPage</name>
    <message>
        <source>Worklist: find the recipient (search by study ID) or start a new one; double-click opens it.</source>
        <translation>工作列表：查找受者（按研究编号搜索）或新建受者；双击打开。</translation>
    </message>
    <message>
        <source>Recipient: enrol (eligibility is checked on saving) and complete the pre-operative form; values that look typed in another unit are offered for conversion.</source>
        <translation>受者：入组（保存时检查入选标准）并填写术前表单；疑似以其他单位录入的数值会提示换算。</translation>
    </message>
    <message>
        <source>Imaging: choose the pre-operative portal-venous CT (DICOM folder or file, or drop it on the screen) and the spleen/liver mask; read the quality-control table. Measure spleen length and portal / splenic vein diameters with the Ruler and send them to the pre-operative form.</source>
        <translation>影像：选择术前门静脉期 CT（DICOM 文件夹或文件，或直接拖放到界面上）和脾/肝掩膜，查看质控表。用“标尺”测量脾脏长径及门静脉/脾静脉内径，并填入术前表单。</translation>
    </message>
    <message>
        <source>Score: runs QC, radiomics, the CNN and the locked model in the background (Cancel stops it, nothing half-done is saved) and writes the PDF report for the chart.</source>
        <translation>评分：在后台运行质控、影像组学、CNN 和锁定模型（可取消，未完成的结果不会保存），并生成用于病历的 PDF 报告。</translation>
    </message>
    <message>
        <source>Follow-up: record visits at days 30, 90 and 180 (targets and windows are shown); correct or delete a visit with a reason. The 6-month outcome is derived by the protocol's definition.</source>
        <translation>随访：记录第 30、90、180 天随访（显示目标日期和时间窗）；更正或删除随访需填写原因。6 个月结局按方案定义自动判定。</translation>
    </message>
    <message>
        <source>Validation dashboard: how the locked model performs on the prospective recipients whose outcome is known.</source>
        <translation>验证仪表板：锁定模型在已知结局的前瞻性受者中的表现。</translation>
    </message>
    <message>
        <source>Administrators: user accounts and CSV import/export (Administration), backups (Settings), the outcome definition (its own screen) and the audit log.</source>
        <translation>管理员：用户账户和 CSV 导入/导出（管理）、备份（设置）、结局定义（单独界面）及审计日志。</translation>
    </message>
    <message>
        <source>Ctrl+1 ... Ctrl+9</source>
        <translation>Ctrl+1 … Ctrl+9</translation>
    </message>
    <message>
        <source>go to the n-th screen</source>
        <translation>转到第 n 个界面</translation>
    </message>
    <message>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <source>lock the screen</source>
        <translation>锁定屏幕</translation>
    </message>
    <message>
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <source>this help</source>
        <translation>本帮助</translation>
    </message>
    <message>
        <source>Ctrl+Q</source>
        <translation>Ctrl+Q</translation>
    </message>
    <message>
        <source>quit (asks first if work is unsaved)</source>
        <translation>退出（有未保存内容时先询问）</translation>
    </message>
    <message>
        <source>The workflow</source>
        <translation>工作流程</translation>
    </message>
    <message>
        <source>Keys / mouse</source>
        <translation>按键/鼠标</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>On the command line, `hsp --help` lists every command and `hsp registry --help` the registry's; the About screen runs the self-test.</source>
        <translation>命令行中，`hsp --help` 列出所有命令，`hsp registry --help` 列出登记库命令；“关于”界面可运行自检。</translation>
    </message>
    <message>
        <source>Keyboard and mouse</source>
        <translation>键盘与鼠标</translation>
    </message>
</context>
<context>
    <name>ImagingPage</name>
    <message>
        <source>Choose &amp;DICOM folder...</source>
        <translation>选择 DICOM 文件夹(&amp;D)……</translation>
    </message>
    <message>
        <source>Choose CT &amp;file (NIfTI/NRRD/MHA)...</source>
        <translation>选择 CT 文件(&amp;F)（NIfTI/NRRD/MHA）……</translation>
    </message>
    <message>
        <source>Choose &amp;mask...</source>
        <translation>选择掩膜(&amp;M)……</translation>
    </message>
    <message>
        <source>&amp;Override identity check...</source>
        <translation>覆盖身份核对(&amp;O)...</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>检查项</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>QC: no mask loaded</source>
        <translation>质控：未载入掩膜</translation>
    </message>
    <message>
        <source>Quality control</source>
        <translation>质量控制</translation>
    </message>
    <message>
        <source>Continue to &amp;scoring</source>
        <translation>继续评分(&amp;S)</translation>
    </message>
    <message>
        <source>Recipient {0}: choose the pre-operative portal-venous CT and the spleen/liver mask.</source>
        <translation>受者 {0}：请选择术前门静脉期 CT 及脾/肝掩膜。</translation>
    </message>
    <message>
        <source>Select a recipient on the Worklist first.</source>
        <translation>请先在工作列表中选择受者。</translation>
    </message>
    <message>
        <source>Restored the registered CT and mask of prediction #{0}.</source>
        <translation>已恢复预测 #{0} 登记的 CT 与分割。</translation>
    </message>
    <message>
        <source>DICOM folder of the CT</source>
        <translation>CT 的 DICOM 文件夹</translation>
    </message>
    <message>
        <source>CT image</source>
        <translation>CT 图像</translation>
    </message>
    <message>
        <source>Images (*.nii *.nii.gz *.nrrd *.mha *.mhd)</source>
        <translation>图像 (*.nii *.nii.gz *.nrrd *.mha *.mhd)</translation>
    </message>
    <message>
        <source>Mask (label map or DICOM SEG/RTSTRUCT)</source>
        <translation>掩膜（标签图或 DICOM SEG/RTSTRUCT）</translation>
    </message>
    <message>
        <source>Masks (*.nii *.nii.gz *.nrrd *.mha *.dcm);;All files, e.g. a DICOM SEG without extension (*)</source>
        <translation>掩膜 (*.nii *.nii.gz *.nrrd *.mha *.dcm);;所有文件，例如无扩展名的 DICOM SEG (*)</translation>
    </message>
    <message>
        <source>Reading images...</source>
        <translation>正在读取图像……</translation>
    </message>
    <message>
        <source>Identity: checking...</source>
        <translation>身份核对：正在检查...</translation>
    </message>
    <message>
        <source>QC: not run yet.</source>
        <translation>质控：尚未运行。</translation>
    </message>
    <message>
        <source>Could not read the images.</source>
        <translation>无法读取图像。</translation>
    </message>
    <message>
        <source>Identity: not checked (the images could not be read).</source>
        <translation>身份核对：未检查（无法读取影像）。</translation>
    </message>
    <message>
        <source>Which segment is the spleen?</source>
        <translation>哪个分割段是脾脏？</translation>
    </message>
    <message>
        <source>The mask's segment names do not say which one is the spleen: {0}</source>
        <translation>分割段名称无法确定哪一个是脾脏：{0}</translation>
    </message>
    <message>
        <source>Choose the spleen segment to continue.</source>
        <translation>请选择脾脏分割段以继续。</translation>
    </message>
    <message>
        <source>Override the identity check</source>
        <translation>覆盖身份核对</translation>
    </message>
    <message>
        <source>Why does this CT belong to recipient {0}? (audited, printed on the report)</source>
        <translation>为什么此 CT 属于受者 {0}？（将记入审计日志并打印在报告上）</translation>
    </message>
    <message>
        <source>Override: {0}</source>
        <translation>已覆盖：{0}</translation>
    </message>
    <message>
        <source>Identity: not checked (the CT file carries no DICOM identity).</source>
        <translation>身份核对：未检查（该 CT 文件不含 DICOM 身份信息）。</translation>
    </message>
    <message>
        <source>Identity: the CT matches recipient {0}.</source>
        <translation>身份核对：CT 与受者 {0} 一致。</translation>
    </message>
    <message>
        <source>Identity MISMATCH: this CT may belong to another patient ({0}).</source>
        <translation>身份不一致：此 CT 可能属于另一位患者（{0}）。</translation>
    </message>
    <message>
        <source>Images loaded.</source>
        <translation>图像已载入。</translation>
    </message>
    <message>
        <source>QC: choose the mask to run the quality checks.</source>
        <translation>质控：请选择掩膜以运行质量检查。</translation>
    </message>
    <message>
        <source>QC passed ({0} warnings). The CT can be scored.</source>
        <translation>质控通过（{0} 个警告）。可以对该 CT 评分。</translation>
    </message>
    <message>
        <source>QC failed: {0}. Fix the images before scoring.</source>
        <translation>质控未通过：{0}。请先修正图像再评分。</translation>
    </message>
    <message>
        <source>QC passed, but the identity check blocks scoring (see above).</source>
        <translation>质控通过，但身份核对阻止评分（见上方）。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>HSP Desktop {0} - refractory hypersplenism after liver transplantation</source>
        <extracomment>Screens each role sees (others are hidden from navigation and the Go menu).</extracomment>
        <translation>HSP Desktop {0} — 肝移植后难治性脾功能亢进</translation>
    </message>
    <message>
        <source>Screens</source>
        <translation>界面</translation>
    </message>
    <message>
        <source>{0} = {1:g} put into the pre-operative form (save it on the Recipient screen)</source>
        <translation>{0} = {1:g} 已填入术前表单（请在“受者”界面保存）</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Signed in: {0} ({1})  |  Recipient: {2}</source>
        <translation>已登录：{0}（{1}）  |  受者：{2}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Lock screen</source>
        <translation>锁定屏幕(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>转到(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Self-test</source>
        <translation>自检(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>There are unsaved changes on: {0}. Discard them?</source>
        <translation>以下界面有未保存的更改：{0}。要放弃吗？</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Wait for the running job to finish, then switch the language.</source>
        <translation>请等待正在运行的任务完成后再切换语言。</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>影像</translation>
    </message>
    <message>
        <source>Select a recipient on the Worklist first, then drop the images.</source>
        <translation>请先在工作列表中选择受者，再拖放影像。</translation>
    </message>
    <message>
        <source>Work in progress</source>
        <translation>任务进行中</translation>
    </message>
    <message>
        <source>A job is still running. Cancel it and quit? Nothing half-done is saved.</source>
        <translation>仍有任务在运行。取消并退出？未完成的内容不会被保存。</translation>
    </message>
</context>
<context>
    <name>MaskEditor</name>
    <message>
        <source>Click seed</source>
        <extracomment>Editing tools: (key, label). "seed" adds a click for the semi-automatic growing.</extracomment>
        <translation>点击种子点</translation>
    </message>
    <message>
        <source>Paint</source>
        <translation>画笔</translation>
    </message>
    <message>
        <source>Erase</source>
        <translation>橡皮擦</translation>
    </message>
    <message>
        <source>Threshold paint</source>
        <translation>阈值画笔</translation>
    </message>
    <message>
        <source>Spleen</source>
        <translation>脾脏</translation>
    </message>
    <message>
        <source>Liver</source>
        <translation>肝脏</translation>
    </message>
    <message>
        <source>Organ</source>
        <extracomment>Viewer orientation -&gt; editing plane.</extracomment>
        <translation>器官</translation>
    </message>
    <message>
        <source>Brush radius</source>
        <translation>画笔半径</translation>
    </message>
    <message>
        <source>Brush</source>
        <translation>画笔</translation>
    </message>
    <message>
        <source>Lower HU limit</source>
        <translation>HU下限</translation>
    </message>
    <message>
        <source>Upper HU limit</source>
        <translation>HU上限</translation>
    </message>
    <message>
        <source>HU window</source>
        <translation>HU窗</translation>
    </message>
    <message>
        <source>Fill holes</source>
        <translation>填充孔洞</translation>
    </message>
    <message>
        <source>Keep largest island</source>
        <translation>保留最大连通区</translation>
    </message>
    <message>
        <source>Smooth</source>
        <translation>平滑</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>{0} {1:.1f} ml</source>
        <translation>{0} {1:.1f} ml</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Development AUC (nested CV)</source>
        <translation>开发队列 AUC（嵌套交叉验证）</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>当前使用</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>&amp;Verify hashes</source>
        <translation>验证哈希(&amp;V)</translation>
    </message>
    <message>
        <source>Make &amp;active</source>
        <translation>设为当前模型(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Install bundle...</source>
        <translation>安装模型包(&amp;I)……</translation>
    </message>
    <message>
        <source>Manifest</source>
        <translation>清单</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>REFUSED: {0}</source>
        <translation>已拒绝：{0}</translation>
    </message>
    <message>
        <source>Verified: every file matches its SHA-256 in the manifest ({0}).</source>
        <translation>已验证：每个文件均与清单中的 SHA-256 一致（{0}）。</translation>
    </message>
    <message>
        <source>Model bundle folder (with manifest.json)</source>
        <translation>模型包文件夹（含 manifest.json）</translation>
    </message>
    <message>
        <source>Installed and verified: {0}</source>
        <translation>已安装并验证：{0}</translation>
    </message>
</context>
<context>
    <name>OutcomePage</name>
    <message>
        <source>Spleen volume / BSA &gt; threshold</source>
        <translation>脾体积/体表面积 &gt; 阈值</translation>
    </message>
    <message>
        <source>Spleen volume &gt; threshold</source>
        <translation>脾体积 &gt; 阈值</translation>
    </message>
    <message>
        <source>Craniocaudal length &gt;= threshold</source>
        <translation>头尾径 ≥ 阈值</translation>
    </message>
    <message>
        <source>platelets and/or WBC below threshold</source>
        <translation>血小板和/或白细胞低于阈值</translation>
    </message>
    <message>
        <source>platelets and WBC both below threshold</source>
        <translation>血小板和白细胞均低于阈值</translation>
    </message>
    <message>
        <source>mean of the measurements</source>
        <translation>测量值的均值</translation>
    </message>
    <message>
        <source>lowest measurement</source>
        <translation>最低测量值</translation>
    </message>
    <message>
        <source>Outcome definition (refractory hypersplenism at 6 months)</source>
        <translation>结局定义（6 个月难治性脾功能亢进）</translation>
    </message>
    <message>
        <source>Platelet threshold</source>
        <translation>血小板阈值</translation>
    </message>
    <message>
        <source>WBC threshold</source>
        <translation>白细胞阈值</translation>
    </message>
    <message>
        <source>Cytopenia rule</source>
        <translation>血细胞减少规则</translation>
    </message>
    <message>
        <source>Measurements</source>
        <translation>测量值</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>days after transplant</source>
        <translation>（移植后天数）</translation>
    </message>
    <message>
        <source>Assessment window</source>
        <translation>评估时间窗</translation>
    </message>
    <message>
        <source>Definition id</source>
        <translation>定义编号</translation>
    </message>
    <message>
        <source>&amp;Save outcome definition...</source>
        <translation>保存结局定义(&amp;S)……</translation>
    </message>
    <message>
        <source>The study protocol's definition is the default. A change re-derives every recipient's outcome and is recorded in the audit log with its reason.</source>
        <translation>默认采用研究方案的定义。修改后将重新判定所有受者的结局，并连同原因记入审计日志。</translation>
    </message>
    <message>
        <source>Only administrators can change it.</source>
        <translation>仅管理员可以修改。</translation>
    </message>
    <message>
        <source>Outcome definition</source>
        <translation>结局定义</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>没有更改。</translation>
    </message>
    <message>
        <source>Re-derive outcomes</source>
        <translation>重新判定结局</translation>
    </message>
    <message>
        <source>Changing the outcome definition re-derives the 6-month outcome of all {0} recipients in the registry. Continue?</source>
        <translation>修改结局定义将重新判定登记库中全部 {0} 名受者的 6 个月结局。继续吗？</translation>
    </message>
    <message>
        <source>Reason for change</source>
        <translation>修改原因</translation>
    </message>
    <message>
        <source>Why does the outcome definition change?</source>
        <translation>修改结局定义的原因：</translation>
    </message>
</context>
<context>
    <name>PacsPage</name>
    <message>
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
    <message>
        <source>PACS node:</source>
        <translation>PACS 节点：</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>AE title</source>
        <translation>AE 标题</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>主机</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>Radiology PACS</source>
        <translation>放射科 PACS</translation>
    </message>
    <message>
        <source>&amp;Add node</source>
        <translation>添加节点(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Remove selected</source>
        <translation>删除所选(&amp;R)</translation>
    </message>
    <message>
        <source>Set</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>This workstation's AE title:</source>
        <translation>本工作站的 AE 标题：</translation>
    </message>
    <message>
        <source>Nodes (administrators)</source>
        <translation>节点（管理员）</translation>
    </message>
    <message>
        <source>&amp;Find CT studies</source>
        <translation>查找 CT 检查(&amp;F)</translation>
    </message>
    <message>
        <source>Recipient:</source>
        <translation>受者：</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>Study dates:</source>
        <translation>检查日期：</translation>
    </message>
    <message>
        <source>Study date / series</source>
        <translation>检查日期 / 序列</translation>
    </message>
    <message>
        <source>Modality</source>
        <translation>模态</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>Phase</source>
        <translation>期相</translation>
    </message>
    <message>
        <source>&amp;Retrieve series and open in Imaging</source>
        <translation>获取序列并在影像界面打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Send latest report, mask and SR to PACS</source>
        <translation>将最新报告、掩膜和结构化报告发送到 PACS(&amp;S)</translation>
    </message>
    <message>
        <source>Export &amp;FHIR...</source>
        <translation>导出 FHIR(&amp;F)...</translation>
    </message>
    <message>
        <source>This workstation connects only to the nodes listed here, on their DICOM port; it opens no listening port (images come back on the same connection, C-GET).</source>
        <translation>本工作站只连接此处列出的节点的 DICOM 端口；不开放任何监听端口（图像经同一连接返回，C-GET）。</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>none selected (choose one on the Worklist)</source>
        <translation>未选择（请在工作列表中选择）</translation>
    </message>
    <message>
        <source>No PACS node is configured: an administrator adds one below.</source>
        <translation>尚未配置 PACS 节点：请管理员在下方添加。</translation>
    </message>
    <message>
        <source>Testing {0}...</source>
        <translation>正在测试 {0}...</translation>
    </message>
    <message>
        <source>{0} answered in {1} ms</source>
        <translation>{0} 在 {1} 毫秒内应答</translation>
    </message>
    <message>
        <source>Querying {0}...</source>
        <translation>正在查询 {0}...</translation>
    </message>
    <message>
        <source>portal venous</source>
        <translation>门静脉期</translation>
    </message>
    <message>
        <source>arterial</source>
        <translation>动脉期</translation>
    </message>
    <message>
        <source>venous</source>
        <translation>静脉期</translation>
    </message>
    <message>
        <source>delayed</source>
        <translation>延迟期</translation>
    </message>
    <message>
        <source>non-contrast</source>
        <translation>平扫</translation>
    </message>
    <message>
        <source>localizer</source>
        <translation>定位像</translation>
    </message>
    <message>
        <source>contrast (phase unknown)</source>
        <translation>增强（期相不明）</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>不明</translation>
    </message>
    <message>
        <source>{0} studies, {1} series</source>
        <translation>{0} 个检查，{1} 个序列</translation>
    </message>
    <message>
        <source>{0} images retrieved in {1} s: {2}</source>
        <translation>{1} 秒内获取 {0} 幅图像：{2}</translation>
    </message>
    <message>
        <source>Send to PACS</source>
        <translation>发送到 PACS</translation>
    </message>
    <message>
        <source>Send the latest risk report, its mask and a structured report for {0} to {1}?</source>
        <translation>将 {0} 的最新风险报告、其掩膜和结构化报告发送到 {1}？</translation>
    </message>
    <message>
        <source>{0} objects stored on {1}</source>
        <translation>已在 {1} 存储 {0} 个对象</translation>
    </message>
    <message>
        <source>Folder for the FHIR bundle</source>
        <translation>FHIR 文件包的文件夹</translation>
    </message>
    <message>
        <source>FHIR bundle written: {0}</source>
        <translation>已写入 FHIR 文件包：{0}</translation>
    </message>
</context>
<context>
    <name>RecipientPage</name>
    <message>
        <source>&amp;Check</source>
        <translation>检查(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Continue to &amp;imaging</source>
        <extracomment>Caliper values taken on the CT and not yet saved: field -&gt; provenance (series, slice, who, when).</extracomment>
        <translation>继续影像(&amp;I)</translation>
    </message>
    <message>
        <source>New recipient</source>
        <translation>新受者</translation>
    </message>
    <message>
        <source>Eligibility is checked when you save.</source>
        <translation>保存时检查入组资格。</translation>
    </message>
    <message>
        <source>locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>Recipient {0} ({1})</source>
        <translation>受者 {0}（{1}）</translation>
    </message>
    <message>
        <source>{0} = {1} {2}: CT ruler on {3} slice {4}, series {5}, by {6} at {7} (UTC)</source>
        <translation>{0} = {1} {2}：CT 标尺测量，{3} 第 {4} 层，序列 {5}，测量者 {6}，时间 {7}（UTC）</translation>
    </message>
    <message>
        <source>Measured on the CT (not yet saved):</source>
        <translation>在 CT 上测量（尚未保存）：</translation>
    </message>
    <message>
        <source>Eligible for the study.</source>
        <translation>符合研究入组条件。</translation>
    </message>
    <message>
        <source>NOT eligible: {0}</source>
        <translation>不符合入组条件：{0}</translation>
    </message>
    <message>
        <source>Confirm unit conversion</source>
        <translation>确认单位换算</translation>
    </message>
    <message>
        <source>These values look like they were entered in another unit:

{0}

Convert them?</source>
        <translation>以下数值似乎以其他单位录入：

{0}

是否换算？</translation>
    </message>
    <message>
        <source>Reason for change</source>
        <translation>修改原因</translation>
    </message>
    <message>
        <source>This recipient is locked or already scored. Reason for the change:</source>
        <translation>该受者已锁定或已评分。修改原因：</translation>
    </message>
</context>
<context>
    <name>RecordForm</name>
    <message>
        <source>Identity and dates</source>
        <translation>身份与日期</translation>
    </message>
    <message>
        <source>Enrolment and exclusion criteria</source>
        <translation>入组与排除标准</translation>
    </message>
    <message>
        <source>Demographics</source>
        <translation>人口学资料</translation>
    </message>
    <message>
        <source>Liver disease and graft</source>
        <translation>肝病与移植物</translation>
    </message>
    <message>
        <source>Laboratory (pre-operative)</source>
        <translation>实验室检查（术前）</translation>
    </message>
    <message>
        <source>Portal hypertension</source>
        <translation>门静脉高压</translation>
    </message>
    <message>
        <source>CT measurements</source>
        <translation>CT 测量</translation>
    </message>
    <message>
        <source>Accepted range</source>
        <extracomment>English display names of category codes (the dictionary keeps the codes; Chinese labels come from it).</extracomment>
        <translation>允许范围</translation>
    </message>
    <message>
        <source>Also accepted with its unit: </source>
        <translation>也接受带单位录入：</translation>
    </message>
    <message>
        <source>Computed automatically when left empty.</source>
        <translation>留空时自动计算。</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>自动</translation>
    </message>
</context>
<context>
    <name>ResearchPage</name>
    <message>
        <source>folder with clinical.csv, followup.csv and images/</source>
        <translation>包含 clinical.csv、followup.csv 和 images/ 的文件夹</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>浏览……</translation>
    </message>
    <message>
        <source>empty: no DL-score; e.g. models/artifacts/cnn-demo-1</source>
        <translation>留空：不使用深度学习评分；例如 models/artifacts/cnn-demo-1</translation>
    </message>
    <message>
        <source>Develop a model</source>
        <translation>开发模型</translation>
    </message>
    <message>
        <source>Cohort folder</source>
        <translation>队列文件夹</translation>
    </message>
    <message>
        <source>Output bundle folder</source>
        <translation>输出模型包文件夹</translation>
    </message>
    <message>
        <source>CNN artefact (DL-score)</source>
        <translation>CNN 模型文件（深度学习评分）</translation>
    </message>
    <message>
        <source>Bootstrap resamples (optimism)</source>
        <translation>Bootstrap 重抽样次数（乐观校正）</translation>
    </message>
    <message>
        <source>Repeats of 5-fold nested CV</source>
        <translation>5 折嵌套交叉验证重复次数</translation>
    </message>
    <message>
        <source>Random seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>&amp;Run development</source>
        <translation>运行开发(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Running...</source>
        <translation>运行中……</translation>
    </message>
    <message>
        <source>Stopped: {0}</source>
        <translation>已停止：{0}</translation>
    </message>
    <message>
        <source>Locked bundle written to {0}</source>
        <translation>锁定模型包已写入 {0}</translation>
    </message>
</context>
<context>
    <name>ScorePage</name>
    <message>
        <source>&amp;Score this recipient</source>
        <translation>为该受者评分(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Ready.</source>
        <translation>就绪。</translation>
    </message>
    <message>
        <source>Factor</source>
        <translation>因素</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Contribution (log-odds)</source>
        <translation>贡献（对数优势）</translation>
    </message>
    <message>
        <source>Open / print &amp;PDF report</source>
        <translation>打开/打印 PDF 报告(&amp;P)</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Top contributing factors</source>
        <translation>主要贡献因素</translation>
    </message>
    <message>
        <source>Key slices (spleen outlined)</source>
        <translation>关键层面（勾画脾脏）</translation>
    </message>
    <message>
        <source>Select a recipient on the Worklist first.</source>
        <translation>请先在工作列表中选择受者。</translation>
    </message>
    <message>
        <source>Recipient {0}: choose the CT and the mask on the Imaging screen first.</source>
        <translation>受者 {0}：请先在影像界面选择 CT 和掩膜。</translation>
    </message>
    <message>
        <source>Recipient {0}. CT: {1}. Mask: {2}.</source>
        <translation>受者 {0}。CT：{1}。掩膜：{2}。</translation>
    </message>
    <message>
        <source>Score again</source>
        <translation>重新评分</translation>
    </message>
    <message>
        <source>{0} already has a prediction. Why score again? (kept in the audit trail)</source>
        <translation>{0} 已有预测。为什么要重新评分？（将记入审计日志）</translation>
    </message>
    <message>
        <source>Not scored: a reason is needed to score again.</source>
        <translation>未评分：重新评分需要填写原因。</translation>
    </message>
    <message>
        <source>Cancelling at the next stage...</source>
        <translation>将在下一阶段取消……</translation>
    </message>
    <message>
        <source>Stopped. Nothing was saved.</source>
        <translation>已停止。未保存任何内容。</translation>
    </message>
    <message>
        <source>Done. The prediction is saved in the registry.</source>
        <translation>完成。预测已保存到登记库。</translation>
    </message>
    <message>
        <source>Risk of refractory hypersplenism at 6 months: {0:.1%} (95% CI {1:.1%}-{2:.1%})</source>
        <translation>6个月难治性脾功能亢进风险：{0:.1%}（95% CI {1:.1%}-{2:.1%}）</translation>
    </message>
    <message>
        <source>Band: {0} (low &lt; {1:.0%} &lt;= intermediate &lt; {2:.0%} &lt;= high). Model {3} v{4}, sha256 {5}.</source>
        <translation>分层：{0}（低 &lt; {1:.0%} ≤ 中 &lt; {2:.0%} ≤ 高）。模型 {3} v{4}，sha256 {5}。</translation>
    </message>
</context>
<context>
    <name>SegmentPage</name>
    <message>
        <source>Use the CT from the Imaging screen</source>
        <translation>使用影像界面中的CT</translation>
    </message>
    <message>
        <source>Leak cut (smoothness)</source>
        <translation>防渗漏切断（平滑度）</translation>
    </message>
    <message>
        <source>&amp;Segment from the clicks</source>
        <translation>根据点击分割(&amp;S)</translation>
    </message>
    <message>
        <source>Auto-segment with a model...</source>
        <translation>用模型自动分割...</translation>
    </message>
    <message>
        <source>Leak cut</source>
        <translation>防渗漏切断</translation>
    </message>
    <message>
        <source>I have checked the mask on every slice that shows the organ</source>
        <translation>我已在显示该器官的每一层上检查了分割</translation>
    </message>
    <message>
        <source>Confirm &amp;review and use for scoring</source>
        <translation>确认审核并用于评分(&amp;R)</translation>
    </message>
    <message>
        <source>Continue to s&amp;coring</source>
        <translation>继续评分(&amp;C)</translation>
    </message>
    <message>
        <source>Load the recipient's CT on the Imaging screen first.</source>
        <translation>请先在影像界面载入受者的CT。</translation>
    </message>
    <message>
        <source>Recipient {0}: click inside the spleen with 'Click seed', then 'Segment'.</source>
        <translation>受者 {0}：用“点击种子点”在脾脏内点击，然后点击“分割”。</translation>
    </message>
    <message>
        <source>Click inside the organ with 'Click seed'.</source>
        <translation>用“点击种子点”在器官内点击。</translation>
    </message>
    <message>
        <source>{0} click(s) in the {1}; suggested window {2:.0f} to {3:.0f} HU.</source>
        <translation>{1}内 {0} 个点击；建议窗 {2:.0f} 至 {3:.0f} HU。</translation>
    </message>
    <message>
        <source>Segmenting...</source>
        <translation>正在分割...</translation>
    </message>
    <message>
        <source>Segmented in {0:.1f} s (window {1:.0f} to {2:.0f} HU). Check it, edit it, review it.</source>
        <translation>分割用时 {0:.1f} 秒（窗 {1:.0f} 至 {2:.0f} HU）。请检查、编辑并审核。</translation>
    </message>
    <message>
        <source>Choose the segmentation model folder</source>
        <translation>选择分割模型文件夹</translation>
    </message>
    <message>
        <source>Running the segmentation model...</source>
        <translation>正在运行分割模型...</translation>
    </message>
    <message>
        <source>Model {0}: {1}. Check it, edit it, review it.</source>
        <translation>模型 {0}：{1}。请检查、编辑并审核。</translation>
    </message>
    <message>
        <source>Reviewed by {0}; saved as {1}. It will be used for scoring.</source>
        <translation>已由 {0} 审核；保存为 {1}。将用于评分。</translation>
    </message>
    <message>
        <source>The mask changed after the review: review it again before scoring.</source>
        <translation>审核后分割已更改：评分前请重新审核。</translation>
    </message>
    <message>
        <source>Segmentation failed.</source>
        <translation>分割失败。</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Site and language</source>
        <translation>中心与语言</translation>
    </message>
    <message>
        <source>Site name (on reports)</source>
        <translation>中心名称（报告中显示）</translation>
    </message>
    <message>
        <source>Report language</source>
        <translation>报告语言</translation>
    </message>
    <message>
        <source>Interface language (this workstation)</source>
        <translation>界面语言（本工作站）</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>浏览……</translation>
    </message>
    <message>
        <source>&amp;Back up now</source>
        <translation>立即备份(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Restore from backup...</source>
        <translation>从备份恢复(&amp;R)……</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>Backup folder</source>
        <translation>备份文件夹</translation>
    </message>
    <message>
        <source>Backups kept</source>
        <translation>保留备份数</translation>
    </message>
    <message>
        <source>&amp;Save settings</source>
        <translation>保存设置(&amp;S)</translation>
    </message>
    <message>
        <source>Only administrators can change registry settings; the interface language is yours.</source>
        <translation>只有管理员可以修改登记库设置；界面语言可由您自行设置。</translation>
    </message>
    <message>
        <source>The outcome definition has its own screen (Outcome definition).</source>
        <translation>结局定义在单独的界面（结局定义）中设置。</translation>
    </message>
    <message>
        <source>Settings saved</source>
        <translation>设置已保存</translation>
    </message>
    <message>
        <source>Settings saved.</source>
        <translation>设置已保存。</translation>
    </message>
    <message>
        <source>Backing up...</source>
        <translation>正在备份……</translation>
    </message>
    <message>
        <source>Backup written and checked: {0}</source>
        <translation>备份已写入并通过检查：{0}</translation>
    </message>
    <message>
        <source>Backup failed.</source>
        <translation>备份失败。</translation>
    </message>
    <message>
        <source>Backup to restore</source>
        <translation>要恢复的备份</translation>
    </message>
    <message>
        <source>Restore backup</source>
        <translation>恢复备份</translation>
    </message>
    <message>
        <source>Replace the registry with this backup? The application closes afterwards; data entered after the backup are lost unless they are in a newer backup.</source>
        <translation>用该备份替换登记库？完成后软件将关闭；备份之后录入的数据将丢失，除非它们在更新的备份中。</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>HSP Desktop - create the administrator account</source>
        <translation>HSP Desktop — 创建管理员账户</translation>
    </message>
    <message>
        <source>HSP Desktop - locked</source>
        <translation>HSP Desktop — 已锁定</translation>
    </message>
    <message>
        <source>HSP Desktop - sign in</source>
        <translation>HSP Desktop — 登录</translation>
    </message>
    <message>
        <source>The screen was locked after inactivity. Enter your password to continue.</source>
        <translation>因长时间无操作，屏幕已锁定。请输入密码继续。</translation>
    </message>
    <message>
        <source>No account exists yet. Create the administrator account for this workstation.</source>
        <translation>尚无账户。请为本工作站创建管理员账户。</translation>
    </message>
    <message>
        <source>Sign in with your registry account.</source>
        <translation>请使用登记库账户登录。</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Repeat password</source>
        <translation>重复密码</translation>
    </message>
    <message>
        <source>Enter user name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>SliceViewer</name>
    <message>
        <source>Axial</source>
        <translation>轴位</translation>
    </message>
    <message>
        <source>Coronal</source>
        <translation>冠状位</translation>
    </message>
    <message>
        <source>Sagittal</source>
        <translation>矢状位</translation>
    </message>
    <message>
        <source>Window/level preset</source>
        <translation>窗宽/窗位预设</translation>
    </message>
    <message>
        <source>Mask opacity</source>
        <translation>掩膜不透明度</translation>
    </message>
    <message>
        <source>No CT loaded</source>
        <translation>未载入 CT</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>窗</translation>
    </message>
    <message>
        <source>Abdomen</source>
        <translation>腹部</translation>
    </message>
    <message>
        <source>Liver</source>
        <translation>肝脏</translation>
    </message>
    <message>
        <source>Soft tissue</source>
        <translation>软组织</translation>
    </message>
    <message>
        <source>Bone</source>
        <translation>骨</translation>
    </message>
    <message>
        <source>Window/level</source>
        <extracomment>Which array axis of (z, y, x) each view slices through.</extracomment>
        <translation>窗宽/窗位</translation>
    </message>
    <message>
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <source>Zoom</source>
        <translation>缩放</translation>
    </message>
    <message>
        <source>Ruler</source>
        <translation>标尺</translation>
    </message>
    <message>
        <source>Crosshair</source>
        <translation>十字定位线</translation>
    </message>
    <message>
        <source>Spleen length</source>
        <extracomment>Pre-operative fields a ruler measurement can fill: (field, label, unit, factor from mm).</extracomment>
        <translation>脾脏长径</translation>
    </message>
    <message>
        <source>Portal vein diameter</source>
        <translation>门静脉内径</translation>
    </message>
    <message>
        <source>Splenic vein diameter</source>
        <translation>脾静脉内径</translation>
    </message>
    <message>
        <source>Mouse wheel, Up/Down</source>
        <extracomment>Keyboard and mouse shortcuts (shown in Help).</extracomment>
        <translation>鼠标滚轮、上/下方向键</translation>
    </message>
    <message>
        <source>next/previous slice</source>
        <translation>下一层/上一层</translation>
    </message>
    <message>
        <source>Page Up/Page Down</source>
        <translation>Page Up/Page Down</translation>
    </message>
    <message>
        <source>ten slices</source>
        <translation>翻 10 层</translation>
    </message>
    <message>
        <source>Home/End</source>
        <translation>Home/End</translation>
    </message>
    <message>
        <source>first/last slice</source>
        <translation>第一层/最后一层</translation>
    </message>
    <message>
        <source>Ctrl+wheel</source>
        <translation>Ctrl+滚轮</translation>
    </message>
    <message>
        <source>zoom</source>
        <translation>缩放</translation>
    </message>
    <message>
        <source>Right drag</source>
        <translation>右键拖动</translation>
    </message>
    <message>
        <source>window (left/right) and level (up/down)</source>
        <translation>调窗宽（左右）和窗位（上下）</translation>
    </message>
    <message>
        <source>Middle drag</source>
        <translation>中键拖动</translation>
    </message>
    <message>
        <source>pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <source>Left drag</source>
        <translation>左键拖动</translation>
    </message>
    <message>
        <source>the chosen tool (window/level, pan, zoom, ruler, crosshair)</source>
        <translation>所选工具（窗宽/窗位、平移、缩放、标尺、十字定位线）</translation>
    </message>
    <message>
        <source>Double-click, M</source>
        <translation>双击、M</translation>
    </message>
    <message>
        <source>maximise the pane / show all three</source>
        <translation>最大化该视图 / 恢复三视图</translation>
    </message>
    <message>
        <source>1, 2, 3, 4</source>
        <translation>1、2、3、4</translation>
    </message>
    <message>
        <source>abdomen, liver, soft-tissue, bone window</source>
        <translation>腹部、肝脏、软组织、骨窗</translation>
    </message>
    <message>
        <source>R</source>
        <translation>R</translation>
    </message>
    <message>
        <source>reset zoom and pan</source>
        <translation>重置缩放和平移</translation>
    </message>
    <message>
        <source>Esc</source>
        <translation>Esc</translation>
    </message>
    <message>
        <source>remove the ruler</source>
        <translation>移除标尺</translation>
    </message>
    <message>
        <source>Ruler: choose the Ruler tool and drag across the structure.</source>
        <translation>标尺：选择“标尺”工具，在结构上拖动。</translation>
    </message>
    <message>
        <source>Send to pre-operative form</source>
        <translation>填入术前表单</translation>
    </message>
    <message>
        <source>CT {0} x {1} x {2} voxels, spacing {3:.2f} x {4:.2f} x {5:.2f} mm</source>
        <translation>CT {0} × {1} × {2} 体素，间距 {3:.2f} × {4:.2f} × {5:.2f} mm</translation>
    </message>
    <message>
        <source>Spleen (orange) volume {0:.0f} ml</source>
        <translation>脾脏（橙色）体积 {0:.0f} ml</translation>
    </message>
    <message>
        <source>Liver (blue) volume {0:.0f} ml</source>
        <translation>肝脏（蓝色）体积 {0:.0f} ml</translation>
    </message>
    <message>
        <source>W {0:.0f}  L {1:.0f}</source>
        <translation>窗宽 {0:.0f}  窗位 {1:.0f}</translation>
    </message>
    <message>
        <source>{0}: voxel x {1}, y {2}, z {3}   {4:.0f} HU</source>
        <translation>{0}：体素 x {1}，y {2}，z {3}   {4:.0f} HU</translation>
    </message>
    <message>
        <source>Ruler: both ends must lie on the image.</source>
        <translation>标尺：两端都必须位于图像内。</translation>
    </message>
    <message>
        <source>Ruler: {0:.1f} mm on {1} slice {2}/{3}</source>
        <translation>标尺：{0:.1f} mm，{1}第 {2}/{3} 层</translation>
    </message>
    <message>
        <source>Sent {0} = {1:g} to the pre-operative form.</source>
        <translation>已将 {0} = {1:g} 填入术前表单。</translation>
    </message>
</context>
<context>
    <name>StartPage</name>
    <message>
        <source>Create the ward's user accounts</source>
        <translation>创建病区用户账户</translation>
    </message>
    <message>
        <source>One account per person (clinician, coordinator, read-only); nobody shares the administrator account.</source>
        <translation>每人一个账户（临床医生、协调员、只读）；不得共用管理员账户。</translation>
    </message>
    <message>
        <source>Site key for names and MRNs</source>
        <translation>用于姓名和病历号的站点密钥</translation>
    </message>
    <message>
        <source>Without a site key the registry stores study IDs only. IT creates it once with `hsp registry init` and keeps a copy outside this PC.</source>
        <translation>没有站点密钥时，登记库只保存研究编号。由 IT 用 `hsp registry init` 创建一次，并在本机以外保存副本。</translation>
    </message>
    <message>
        <source>Import or enrol recipients</source>
        <translation>导入或登记受者</translation>
    </message>
    <message>
        <source>Import clinical.csv (Administration) or enrol one recipient at a time (Recipient).</source>
        <translation>导入 clinical.csv（管理），或逐例登记受者（受者）。</translation>
    </message>
    <message>
        <source>Install the centre's locked model bundle</source>
        <translation>安装本中心的锁定模型包</translation>
    </message>
    <message>
        <source>The shipped demo model is trained on synthetic data; install and activate the centre's own.</source>
        <translation>随附的演示模型基于合成数据训练；请安装并启用本中心的模型。</translation>
    </message>
    <message>
        <source>Run the self-test</source>
        <translation>运行自检</translation>
    </message>
    <message>
        <source>Checks the radiomics engine, the model hashes, a known recipient and the registry backup.</source>
        <translation>检查影像组学引擎、模型哈希、一名已知受者及登记库备份。</translation>
    </message>
    <message>
        <source>Getting started</source>
        <translation>入门</translation>
    </message>
    <message>
        <source>Before the ward uses this workstation, complete these steps. The list updates as you go; Help explains the daily workflow.</source>
        <translation>病区使用本工作站前，请完成以下步骤。清单会随进度更新；“帮助”介绍日常工作流程。</translation>
    </message>
    <message>
        <source>Checklist</source>
        <translation>检查清单</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>to do</source>
        <translation>待完成</translation>
    </message>
    <message>
        <source>All steps done: the workstation is ready.</source>
        <translation>全部步骤已完成：工作站已就绪。</translation>
    </message>
    <message>
        <source>{0} of {1} steps still to do.</source>
        <translation>{1} 个步骤中还有 {0} 个待完成。</translation>
    </message>
</context>
<context>
    <name>StudyBrowser</name>
    <message>
        <source>Patient / study / series</source>
        <translation>患者 / 检查 / 序列</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Phase</source>
        <translation>期相</translation>
    </message>
    <message>
        <source>Slices</source>
        <translation>层数</translation>
    </message>
    <message>
        <source>Thickness</source>
        <translation>层厚</translation>
    </message>
    <message>
        <source>Kernel</source>
        <translation>重建核</translation>
    </message>
    <message>
        <source>Compression</source>
        <translation>压缩</translation>
    </message>
    <message>
        <source>Preselected: the portal-venous CT series (never a localizer); among several, ORIGINAL before DERIVED, soft-tissue kernel before sharp, slice thickness 0.5-5 mm, then the thinnest, then the lowest series number. Without a portal-venous series nothing is preselected.</source>
        <translation>预选规则：门静脉期 CT 序列（从不选择定位像）；若有多个，原始图像优先于派生图像，软组织重建核优先于锐利重建核，层厚 0.5-5 mm 优先，其次最薄，再次序列号最小。没有门静脉期序列时不预选。</translation>
    </message>
    <message>
        <source>Scanning {0}...</source>
        <translation>正在扫描 {0}...</translation>
    </message>
    <message>
        <source>Scanning: {0}</source>
        <translation>扫描中：{0}</translation>
    </message>
    <message>
        <source>{0} patient(s), {1} series, {2} files{3}.</source>
        <translation>{0} 位患者，{1} 个序列，{2} 个文件{3}。</translation>
    </message>
    <message>
        <source> (DICOMDIR)</source>
        <translation>（DICOMDIR）</translation>
    </message>
    <message>
        <source>Skipped {0} file(s): {1}</source>
        <translation>跳过 {0} 个文件：{1}</translation>
    </message>
    <message>
        <source>Several patients: choose the recipient's series.</source>
        <translation>包含多位患者：请选择该受者的序列。</translation>
    </message>
    <message>
        <source>The scan failed: {0}</source>
        <translation>扫描失败：{0}</translation>
    </message>
    <message>
        <source>{0}  {1}  born {2}</source>
        <translation>{0}  {1}  出生 {2}</translation>
    </message>
    <message>
        <source>Study {0} (accession {1})</source>
        <translation>检查 {0}（检查号 {1}）</translation>
    </message>
    <message>
        <source>(no description)</source>
        <translation>（无描述）</translation>
    </message>
    <message>
        <source>[localizer: not scored]</source>
        <translation>[定位像：不评分]</translation>
    </message>
    <message>
        <source>no image</source>
        <translation>无图像</translation>
    </message>
</context>
<context>
    <name>WorklistPage</name>
    <message>
        <source>Study ID</source>
        <translation>研究编号</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>中心</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Transplant date</source>
        <translation>移植日期</translation>
    </message>
    <message>
        <source>Latest risk</source>
        <translation>最新风险</translation>
    </message>
    <message>
        <source>Band</source>
        <translation>风险分层</translation>
    </message>
    <message>
        <source>Next follow-up</source>
        <translation>下次随访</translation>
    </message>
    <message>
        <source>6-month outcome</source>
        <translation>6个月结局</translation>
    </message>
    <message>
        <source>enrolled</source>
        <extracomment>The registry's recipient statuses ("" = all).</extracomment>
        <translation>已入组</translation>
    </message>
    <message>
        <source>scored</source>
        <translation>已评分</translation>
    </message>
    <message>
        <source>outcome</source>
        <translation>结局已知</translation>
    </message>
    <message>
        <source>competing</source>
        <translation>竞争事件</translation>
    </message>
    <message>
        <source>excluded</source>
        <translation>已排除</translation>
    </message>
    <message>
        <source>refractory HSP</source>
        <translation>难治性脾亢</translation>
    </message>
    <message>
        <source>no refractory HSP</source>
        <translation>无难治性脾亢</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>待定</translation>
    </message>
    <message>
        <source>competing event</source>
        <translation>竞争事件</translation>
    </message>
    <message>
        <source>{0} ({1}, window {2} .. {3})</source>
        <translation>{0}（{1}，时间窗 {2} .. {3}）</translation>
    </message>
    <message>
        <source>Search by study ID</source>
        <translation>按研究编号搜索</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>&amp;New recipient</source>
        <translation>新受者(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>{0} recipients</source>
        <translation>{0} 名受者</translation>
    </message>
</context>
<context>
    <name>domain</name>
    <message>
        <source>treated for hypersplenism</source>
        <translation>已接受脾功能亢进治疗</translation>
    </message>
    <message>
        <source>treated before 6 months</source>
        <translation>6 个月前已治疗</translation>
    </message>
    <message>
        <source>another cause of cytopenia</source>
        <translation>血细胞减少另有原因</translation>
    </message>
    <message>
        <source>assessment window still open</source>
        <translation>评估时间窗尚未结束</translation>
    </message>
    <message>
        <source>too few measurements</source>
        <translation>测量次数不足</translation>
    </message>
    <message>
        <source>no spleen measurement</source>
        <translation>无脾脏测量</translation>
    </message>
    <message>
        <source>competing event</source>
        <translation>竞争事件</translation>
    </message>
    <message>
        <source>splenic-artery ligation or embolisation</source>
        <translation>脾动脉结扎或栓塞</translation>
    </message>
    <message>
        <source>portal-vein stenosis/thrombosis</source>
        <translation>门静脉狭窄/血栓</translation>
    </message>
    <message>
        <source>hepatic-artery thrombosis</source>
        <translation>肝动脉血栓</translation>
    </message>
    <message>
        <source>rejection or graft dysfunction</source>
        <translation>排斥反应或移植物功能不全</translation>
    </message>
    <message>
        <source>infection</source>
        <translation>感染</translation>
    </message>
    <message>
        <source>myelotoxic drugs</source>
        <translation>骨髓毒性药物</translation>
    </message>
    <message>
        <source>bleeding</source>
        <translation>出血</translation>
    </message>
    <message>
        <source>death</source>
        <translation>死亡</translation>
    </message>
    <message>
        <source>re-transplantation</source>
        <translation>再次移植</translation>
    </message>
    <message>
        <source>partial splenic embolisation</source>
        <translation>部分脾栓塞</translation>
    </message>
    <message>
        <source>splenectomy</source>
        <translation>脾切除</translation>
    </message>
    <message>
        <source>TPO-receptor agonist</source>
        <translation>TPO 受体激动剂</translation>
    </message>
    <message>
        <source>CT/mask geometry</source>
        <translation>CT 与掩膜几何一致</translation>
    </message>
    <message>
        <source>every voxel a number</source>
        <translation>所有体素均为数值</translation>
    </message>
    <message>
        <source>slice thickness</source>
        <translation>层厚</translation>
    </message>
    <message>
        <source>in-plane pixel spacing</source>
        <translation>层内像素间距</translation>
    </message>
    <message>
        <source>CT values in HU</source>
        <translation>CT 值为 HU</translation>
    </message>
    <message>
        <source>region present in the mask</source>
        <translation>掩膜中存在该区域</translation>
    </message>
    <message>
        <source>region size</source>
        <translation>区域大小</translation>
    </message>
    <message>
        <source>region inside the scan</source>
        <translation>区域完整位于扫描范围内</translation>
    </message>
    <message>
        <source>mean HU of the region</source>
        <translation>区域平均 HU</translation>
    </message>
    <message>
        <source>region in one piece</source>
        <translation>区域为单一连通体</translation>
    </message>
    <message>
        <source>spleen volume</source>
        <translation>脾脏体积</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>未通过</translation>
    </message>
    <message>
        <source>low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>intermediate</source>
        <translation>中</translation>
    </message>
    <message>
        <source>high</source>
        <translation>高</translation>
    </message>
    <message>
        <source>enrolled</source>
        <translation>已入组</translation>
    </message>
    <message>
        <source>scored</source>
        <translation>已评分</translation>
    </message>
    <message>
        <source>outcome known</source>
        <translation>结局已知</translation>
    </message>
    <message>
        <source>excluded</source>
        <translation>已排除</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>待定</translation>
    </message>
    <message>
        <source>no lossy compression</source>
        <translation>无有损压缩</translation>
    </message>
    <message>
        <source>spleen on the patient's left</source>
        <translation>脾脏位于患者左侧</translation>
    </message>
    <message>
        <source>no file of the series skipped</source>
        <translation>序列无跳过的文件</translation>
    </message>
    <message>
        <source>full</source>
        <translation>完全</translation>
    </message>
    <message>
        <source>partial</source>
        <translation>部分</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>DL-score (CNN)</source>
        <translation>深度学习评分（CNN）</translation>
    </message>
    <message>
        <source>spleen</source>
        <translation>脾脏</translation>
    </message>
    <message>
        <source>liver</source>
        <translation>肝脏</translation>
    </message>
    <message>
        <source>treated for hypersplenism ({0}) on day {1}: counts as refractory hypersplenism (flagged for sensitivity analyses)</source>
        <extracomment>Sentences of the outcome derivation (``clinical.outcome``): (pattern, translatable template).</extracomment>
        <translation>第 {1} 天接受脾功能亢进治疗（{0}）：计为难治性脾功能亢进（已标记，供敏感性分析）</translation>
    </message>
    <message>
        <source>{0} on day {1}, before the assessment window (day {2})</source>
        <translation>第 {1} 天发生{0}，早于评估时间窗（第 {2} 天）</translation>
    </message>
    <message>
        <source>assessment window (days {0}-{1}) closes on {2}; today is day {3}</source>
        <translation>评估时间窗（第 {0}-{1} 天）于 {2} 结束；今天是第 {3} 天</translation>
    </message>
    <message>
        <source>no cytopenia in the window (platelets {0}, WBC {1}; thresholds {2} / {3}, rule '{4}')</source>
        <translation>时间窗内无血细胞减少（血小板 {0}，白细胞 {1}；阈值 {2} / {3}，规则“{4}”）</translation>
    </message>
    <message>
        <source>no splenomegaly in the window (volume {0} ml, length {1} cm)</source>
        <translation>时间窗内无脾肿大（体积 {0} ml，长径 {1} cm）</translation>
    </message>
    <message>
        <source>cytopenia attributed to another cause: {0}</source>
        <translation>血细胞减少归因于其他原因：{0}</translation>
    </message>
    <message>
        <source>cytopenia (platelets {0}, WBC {1}) with splenomegaly and no other cause</source>
        <translation>血细胞减少（血小板 {0}，白细胞 {1}）伴脾肿大，且无其他原因</translation>
    </message>
    <message>
        <source>too few counts in the window: platelets {0}, WBC {1} (need &gt;= {2}, &gt;= {3} days apart)</source>
        <translation>时间窗内计数不足：血小板 {0} 次，白细胞 {1} 次（需 ≥ {2} 次，间隔 ≥ {3} 天）</translation>
    </message>
    <message>
        <source>no spleen volume/length (or BSA) in the window to assess splenomegaly</source>
        <translation>时间窗内无脾脏体积/长径（或体表面积），无法评估脾肿大</translation>
    </message>
    <message>
        <source>splenic-artery ligation or embolisation recorded at enrolment ({0}): excluded by the protocol (the estimand is the risk for recipients without splenic-artery intervention)</source>
        <translation>入组时记录有脾动脉结扎或栓塞（{0}）：按方案排除（估计目标为未接受脾动脉干预受者的风险）</translation>
    </message>
    <message>
        <source>splenic-artery ligation or embolisation entered at the day-{0} visit ({1}): excluded by the protocol (the estimand is the risk for recipients without splenic-artery intervention)</source>
        <translation>第 {0} 天随访录入脾动脉结扎或栓塞（{1}）：按方案排除（估计目标为未接受脾动脉干预受者的风险）</translation>
    </message>
    <message>
        <source>splenic-artery ligation or embolisation recorded at enrolment ({0}): counted as refractory hypersplenism (sensitivity setting; flagged)</source>
        <translation>入组时记录有脾动脉结扎或栓塞（{0}）：计为难治性脾功能亢进（敏感性分析设置；已标记）</translation>
    </message>
    <message>
        <source>splenic-artery ligation or embolisation entered at the day-{0} visit ({1}): counted as refractory hypersplenism (sensitivity setting; flagged)</source>
        <translation>第 {0} 天随访录入脾动脉结扎或栓塞（{1}）：计为难治性脾功能亢进（敏感性分析设置；已标记）</translation>
    </message>
    <message>
        <source>{0} on day {1}, before the outcome could be derived</source>
        <translation>第 {1} 天发生{0}，早于结局判定</translation>
    </message>
    <message>
        <source>Rad-score ({0} {1} radiomics features)</source>
        <translation>影像组学评分（{0} 个{1}影像组学特征）</translation>
    </message>
</context>
<context>
    <name>messages</name>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Not permitted</source>
        <translation>无权限</translation>
    </message>
    <message>
        <source>Registry integrity problem</source>
        <translation>登记库完整性问题</translation>
    </message>
    <message>
        <source>Registry problem</source>
        <translation>登记库问题</translation>
    </message>
    <message>
        <source>the recipient's record</source>
        <extracomment>Scoring stages (``pipeline.run``) as the title of a dialog names them.</extracomment>
        <translation>受者记录</translation>
    </message>
    <message>
        <source>the locked model</source>
        <translation>锁定模型</translation>
    </message>
    <message>
        <source>reading CT and mask</source>
        <translation>读取 CT 和掩膜</translation>
    </message>
    <message>
        <source>imaging quality control</source>
        <translation>影像质控</translation>
    </message>
    <message>
        <source>radiomics</source>
        <translation>影像组学</translation>
    </message>
    <message>
        <source>CNN features</source>
        <translation>CNN 特征</translation>
    </message>
    <message>
        <source>the feature table</source>
        <translation>特征表</translation>
    </message>
    <message>
        <source>the risk</source>
        <translation>风险计算</translation>
    </message>
    <message>
        <source>the PDF report</source>
        <translation>PDF 报告</translation>
    </message>
    <message>
        <source>saving</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Scoring stopped at {0}: {1}</source>
        <translation>评分在“{0}”阶段停止：{1}</translation>
    </message>
    <message>
        <source>Scoring stopped at {0}</source>
        <translation>评分在“{0}”阶段停止</translation>
    </message>
    <message>
        <source>CT and mask do not match</source>
        <translation>CT 与掩膜不匹配</translation>
    </message>
    <message>
        <source>Image quality check failed</source>
        <translation>图像质量检查未通过</translation>
    </message>
    <message>
        <source>Image geometry problem</source>
        <translation>影像几何问题</translation>
    </message>
    <message>
        <source>Check the unit</source>
        <translation>请核对单位</translation>
    </message>
    <message>
        <source>Please correct the form</source>
        <translation>请修正表单</translation>
    </message>
    <message>
        <source>Recipient not eligible</source>
        <translation>受者不符合入组条件</translation>
    </message>
    <message>
        <source>File cannot be read</source>
        <translation>文件无法读取</translation>
    </message>
    <message>
        <source>Invalid setting</source>
        <translation>设置无效</translation>
    </message>
    <message>
        <source>Input problem</source>
        <translation>输入问题</translation>
    </message>
    <message>
        <source>Model cannot be used</source>
        <translation>模型无法使用</translation>
    </message>
    <message>
        <source>Scoring stopped</source>
        <translation>评分已停止</translation>
    </message>
    <message>
        <source>Federation problem</source>
        <translation>联邦学习问题</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Nothing was saved.</source>
        <translation>未保存任何内容。</translation>
    </message>
    <message>
        <source>Unexpected error</source>
        <translation>意外错误</translation>
    </message>
    <message>
        <source>An unexpected error occurred; nothing was saved. Please report the details to the study team.</source>
        <translation>发生意外错误，未保存任何内容。请将详细信息报告给研究团队。</translation>
    </message>
</context>
<context>
    <name>pages</name>
    <message>
        <source>Getting started</source>
        <translation>入门</translation>
    </message>
    <message>
        <source>Worklist</source>
        <translation>工作列表</translation>
    </message>
    <message>
        <source>Recipient</source>
        <translation>受者</translation>
    </message>
    <message>
        <source>Recipient chart</source>
        <translation>受者病历</translation>
    </message>
    <message>
        <source>PACS</source>
        <translation>PACS</translation>
    </message>
    <message>
        <source>Imaging</source>
        <translation>影像</translation>
    </message>
    <message>
        <source>Segment</source>
        <translation>分割</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>随访</translation>
    </message>
    <message>
        <source>Validation dashboard</source>
        <translation>验证看板</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Research</source>
        <translation>研究</translation>
    </message>
    <message>
        <source>Federation</source>
        <translation>联邦学习</translation>
    </message>
    <message>
        <source>Outcome definition</source>
        <translation>结局定义</translation>
    </message>
    <message>
        <source>Administration</source>
        <translation>管理</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
</context>
</TS>