"""The web platform's pages and messages (area ``platform``).

Part of the one table of :mod:`mic2025.i18n`; the pages also use the report's labels (the
table is one key space).
"""

from __future__ import annotations

# key -> (zh, en)
STRINGS: dict[str, tuple[str, str]] = {
    "other_lang_name": ("English", "中文"),  # the language switch: the other language's name
    "site_title": ("中国制造2025 监测评估平台", "Made in China 2025 monitoring platform"),
    "nav.overview": ("全国总览", "National overview"),
    "nav.overview_of": ("{area}总览", "{area} overview"),
    "nav.provinces": ("各省", "Provinces"),
    "nav.reporting": ("数据公布情况", "Reporting status"),
    "early_warnings": ("预警：达标概率偏低",
                       "Early warnings: low probability of meeting the target"),
    "reporting_intro": (
        "各目标年份数值的公布情况：已过公布期限而数据库中仍没有的数值（数据缺口），以及尚未到"
        "公布期限的数值。公布期限和发布机构见规划文件中各指标的发布说明。",
        "Which target-year figures are past their due date and not in the store (data gaps), "
        "and which are not yet due. Due dates and publishers are each metric's release in the "
        "plan file."),
    "reporting.gaps": ("数据缺口", "Data gaps"),
    "reporting.awaiting": ("待公布", "Awaiting publication"),
    "reporting.target_year": ("目标年份", "Target year"),
    "reporting.missing": ("缺少年份", "Years missing"),
    "reporting.due": ("应公布日期", "Due by"),
    "reporting.overdue": ("逾期", "Overdue"),
    "reporting.days": ("{n}天", "{n} days"),
    "reporting.publisher": ("发布机构", "Publisher"),
    "reporting.publication": ("出版物", "Publication"),
    "reporting.irregular": ("不定期发布，公布期限为mic2025的约定",
                            "irregular release; the due date is mic2025's own expectation"),
    "reporting.none": ("无", "None"),
    "nav.submissions": ("数据报送", "Submissions"),
    "nav.board": ("报送进度", "Deadlines board"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.users": ("用户", "Users"),
    "nav.owners": ("责任单位通讯录", "Owner directory"),
    "owners_intro": ("新预警按责任单位分别发送：每条预警只发给其责任单位的地址"
                     "（另抄送下列抄送地址）。本页只读；通讯录为数据文件，"
                     "由部署通过 MIC2025_OWNERS_FILE 指定。",
                     "New warnings are e-mailed per owner: each warning only to its owner's "
                     "addresses (and a copy to the copy list below). This page is read-only; "
                     "the directory is a data file, which a deployment names with "
                     "MIC2025_OWNERS_FILE."),
    "owners_placeholder": ("本通讯录为示例：地址均为 example.org 占位地址，须由部署替换。",
                           "This directory is an example: its addresses are example.org "
                           "placeholders that a deployment must replace."),
    "owners_file": ("文件", "File"),
    "owners_copy": ("抄送", "Copy to"),
    "owners_fallback": ("无人认领的预警发送给", "Warnings no entry claims go to"),
    "owners_unclaimed": ("规则中未对应到通讯录的责任单位", "Rule owners without a directory entry"),
    "owners_in_force": ("当前预警", "Warnings in force"),
    "owner_id": ("标识", "Id"),
    "owner_area": ("地区", "Area"),
    "owner_to": ("收件地址", "Addresses"),
    "owner_aliases": ("别名", "Other names"),
    "nav.account": ("我的账号", "My account"),
    "nav.api": ("API", "API"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码不正确。", "Wrong username or password."),
    "login_throttled": (
        "登录失败次数过多，请 15 分钟后再试。",
        "Too many failed log-ins; try again in 15 minutes.",
    ),
    "demo_banner": (
        "演示模式：本平台含有示例账号（用户名以 demo- 开头），仅供演示，请勿用于正式数据。",
        "Demo mode: this platform has example accounts (usernames starting demo-), for "
        "demonstration only; do not use it for real data.",
    ),
    "demo_account": ("示例账号", "demo account"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "public_user": ("公众（仅公开数据）", "Public (published data only)"),
    "overview_intro": (
        "规划各项指标和重大工程目标的进展。颜色表示按所选评估方法得出的状态；"
        "“数据更新”为本地区该指标最新数据批次入库的时间。",
        "Progress of every indicator and engineering-project target of the plan. Colours "
        "show the status under the chosen method; “updated” is when the latest vintage of "
        "the indicator's figures for this area arrived.",
    ),
    "freshness": ("数据更新", "Updated"),
    "trend": ("走势", "Trend"),
    "no_data": ("无数据", "no data"),
    "download": ("下载数据", "Download data"),
    "download_csv": ("CSV", "CSV"),
    "download_xlsx": ("Excel", "Excel"),
    "download_sdmx": ("SDMX-CSV", "SDMX-CSV"),
    "download_json": ("JSON", "JSON"),
    "indicator_series": ("时间序列与目标", "Series and targets"),
    "provinces_compared": ("各省比较", "Provinces compared"),
    "provinces_left_out": (
        "以下报送数值无法换算为本指标的计量口径，未列入地图和排序：",
        "These submitted figures cannot be put on this metric's measure and are left off the "
        "map and the ranking:",
    ),
    "provinces_none": (
        "尚无已审核的省级数据。",
        "No approved provincial figures yet.",
    ),
    "map": ("地图", "Map"),
    "ranking": ("排序", "Ranking"),
    "alternatives": ("其他口径", "Alternative scopes"),
    "definition": ("定义", "Definition"),
    "reviews": ("第三方评估意见", "Third-party reviews"),
    "review_add": ("添加评估意见", "Add a review"),
    "review_text": ("意见", "Review"),
    "rating": ("评级", "Rating"),
    "province_page": ("省级页面", "Province page"),
    "province_intro": (
        "本省已审核数据对照规划目标的进展。",
        "Progress of this province's approved figures against the plan's targets.",
    ),
    "submissions_intro": (
        "下载本省模板，填写后上传；上传后立即显示校验结果。校验通过后提交审核。",
        "Download your template, fill it in and upload it; the checks show at once. Submit "
        "for approval once the file passes.",
    ),
    "upload_formats": (
        "可上传：填好的模板（xlsx），长格式 CSV，或本省 mic2025 平台导出的 SDMX-CSV"
        "（/api/export/sdmx-csv，数据流 MIC2025:MIC2025_OBS(1.0)，原样上传 .csv 文件）。",
        "Accepted: the filled-in template (xlsx), a CSV in the long import format, or the "
        "SDMX-CSV your province's own mic2025 platform exports (/api/export/sdmx-csv, dataflow "
        "MIC2025:MIC2025_OBS(1.0); upload the .csv file as it was exported).",
    ),
    "template": ("下载模板", "Download template"),
    "upload": ("上传", "Upload"),
    "file": ("文件", "File"),
    "year": ("年度", "Year"),
    "enterprise": ("企业", "Enterprise"),
    "status": ("状态", "Status"),
    "rows": ("数据行", "Rows"),
    "problems": ("问题", "Problems"),
    "actions": ("操作", "Actions"),
    "submit": ("提交审核", "Submit"),
    "approve": ("批准", "Approve"),
    "return": ("退回", "Return"),
    "unlock": ("解锁", "Unlock"),
    "comment": ("意见", "Comment"),
    "bulk_approve": ("批量批准所选", "Approve selected"),
    "validation_report": ("校验结果", "Validation report"),
    "file_passed": ("文件校验通过。", "The file passes every check."),
    "valid_file": ("文件校验通过，可以提交审核。", "The file passes every check; submit it."),
    "invalid_file": (
        "文件有 {n} 个问题，请修改后重新上传：",
        "The file has {n} problem(s); fix them and upload it again:",
    ),
    "problems_not_listed": (
        "另有 {n} 个问题未列出：每个文件的校验结果只保留前 {kept} 个问题。",
        "… and {n} more problems not listed: a file's report keeps its first {kept} problems.",
    ),
    "problems_page": ("第 {a}–{b} 个问题（共列出 {listed} 个）",
                      "Problems {a}–{b} of the {listed} listed"),
    "page_previous": ("上一页", "Previous"),
    "page_next": ("下一页", "Next"),
    "skipped_rows": (
        "{n} 行未填数值，视为本期未报送。",
        "{n} row(s) without a value are not reported this round.",
    ),
    "col.sheet": ("工作表", "Sheet"),
    "col.row": ("行", "Row"),
    "col.column": ("列", "Column"),
    "col.value": ("内容", "Value"),
    "col.problem": ("问题", "Problem"),
    "state.draft": ("草稿", "Draft"),
    "state.submitted": ("待审核", "Submitted"),
    "state.returned": ("已退回", "Returned"),
    "state.approved": ("已批准（锁定）", "Approved (locked)"),
    "state.missing": ("未报送", "Not yet uploaded"),
    "vintage": ("数据批次", "Vintage"),
    "deadline": ("截止日期", "Deadline"),
    "set_deadline": ("设定截止日期", "Set deadline"),
    "late": ("逾期", "Late"),
    "on_time": ("按时", "On time"),
    "submitted_at": ("提交时间", "Submitted"),
    "audit_intro": (
        "每一次写操作：谁、何时、做了什么，以及修改前后的内容。日志只增不改。",
        "Every write: who, when, what, and the resource before and after. The log is "
        "append-only.",
    ),
    "at": ("时间", "When"),
    "actor": ("操作人", "Who"),
    "action": ("操作", "Action"),
    "resource": ("对象", "Resource"),
    "before": ("修改前", "Before"),
    "after": ("修改后", "After"),
    "filter": ("筛选", "Filter"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "older": ("更早", "Older"),
    "users_intro": ("账号、角色与范围。", "Accounts, roles and scopes."),
    "roles": ("角色", "Roles"),
    "disabled": ("已停用", "Disabled"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "add_user": ("新增用户", "Add user"),
    "display_name": ("显示名称", "Display name"),
    "role_help": (
        "角色：admin、analyst、evaluator、prov_editor:440000、prov_approver:440000、"
        "enterprise:代码@440000、body_editor:miit（责任单位）",
        "Role: admin, analyst, evaluator, prov_editor:440000, prov_approver:440000, "
        "enterprise:code@440000, body_editor:miit (a responsible body)",
    ),
    "tokens": ("API 令牌", "API tokens"),
    "token_new": ("新建令牌", "New token"),
    "token_name": ("令牌名称", "Token name"),
    "token_shown_once": (
        "请立即复制此令牌，它只显示这一次：",
        "Copy this token now; it is shown only once:",
    ),
    "revoke": ("吊销", "Revoke"),
    "revoked": ("已吊销", "Revoked"),
    "forbidden": ("无权访问", "Forbidden"),
    "forbidden_text": (
        "您的账号无权进行此操作。",
        "Your account may not do this.",
    ),
    "not_found": ("未找到", "Not found"),
    "conflict": ("无法执行", "Cannot do that now"),
    "bad_request": ("请求有误", "Bad request"),
    "csrf_failed": (
        "表单已过期或来源不明，请刷新页面后重试。",
        "The form has expired or did not come from this site; reload the page and try again.",
    ),
    "back": ("返回", "Back"),
    "server_error": ("服务器出错", "Server error"),
    "server_error_text": ("服务器处理请求时出错，已记录在日志中。请稍后重试。",
                          "The server failed to answer this request; the error is logged. "
                          "Please try again later."),
    "too_large": ("请求过大", "Request too large"),
    "too_large_text": ("请求内容超过 {limit} 字节的上限。",
                       "The request body is larger than the limit of {limit} bytes."),
    "role.admin": ("全国管理员", "National administrator"),
    "role.analyst": ("全国分析员", "National analyst"),
    "role.prov_editor": ("省级填报员", "Provincial editor"),
    "role.prov_approver": ("省级审核员", "Provincial approver"),
    "role.enterprise": ("企业填报员", "Enterprise submitter"),
    "role.evaluator": ("第三方评估员", "Third-party evaluator"),
    "role.body_editor": ("责任单位督查填报员", "Responsible body's supervision editor"),
    "method_used": ("评估方法", "Method"),
    "projection_band": ("预测区间", "Projection band"),
    "latest": ("最新值", "Latest"),
    "all_provinces": ("全部省份", "All provinces"),
    "created": ("创建时间", "Created"),
    "none_yet": ("暂无。", "None yet."),
    "scopes_accepted": ("采用的统计口径", "Scopes accepted"),
    "alternatives_intro": (
        "以下公布数未用于评估，原因见“未采用原因”一栏。",
        "These published figures are not used in the assessment; the last column says why.",
    ),
    "nav.followup": ("跟踪评估", "Follow-up"),
    "nav.warnings": ("预警", "Early warnings"),
    "nav.supervision": ("督促检查", "Supervision"),
    "nav.thirdparty": ("第三方评价", "Third-party evaluation"),
    "nav.midterm": ("中期评估", "Mid-term evaluation"),
    "warnings_intro": (
        "预警规则在每次数据审核通过后重新计算；新预警通知其责任单位。",
        "The warning rules are evaluated again after every approval; new warnings are sent "
        "to their owners.",
    ),
    "warnings_count": ("显示 {shown} 条，共 {total} 条。", "{shown} shown of {total}."),
    "warnings_recent": ("最近审核通过后的新预警", "New warnings after recent approvals"),
    "warnings_new": ("新预警 {n} 条", "{n} new warning(s)"),
    "severity": ("级别", "Severity"),
    "severity.notice": ("提示", "notice"),
    "severity.warning": ("预警", "warning"),
    "severity.serious": ("严重", "serious"),
    "message": ("内容", "Message"),
    "owner": ("责任单位", "Responsible body"),
    "supervision_intro": (
        "任务和工程的里程碑、责任单位和进展；全国管理员和责任单位填报员可报告进展。",
        "Milestones of the tasks and projects, their owners and progress; the national "
        "administrator and the owning body's editors report their status.",
    ),
    "illustrative": ("示意", "illustrative"),
    "by_owner": ("按责任单位", "By responsible body"),
    "milestones": ("里程碑数", "Milestones"),
    "milestone": ("里程碑", "Milestone"),
    "overdue": ("逾期", "Overdue"),
    "at_risk": ("有风险", "At risk"),
    "due": ("期限", "Due"),
    "last_update": ("最近报告", "Last report"),
    "all_milestones": ("其他里程碑", "Other milestones"),
    "evidence_link": ("佐证链接", "Evidence link"),
    "report_status": ("报告进展", "Report status"),
    "thirdparty_intro": (
        "每轮评价冻结在一个数据版本上；评估员按评分细则打分，结果给出 Krippendorff α 和分歧。",
        "Each round is frozen on a data vintage; evaluators score against the rubric; the "
        "results give Krippendorff's alpha and the disagreements.",
    ),
    "round": ("评价轮次", "Round"),
    "data_as_of": ("数据截至", "Data as of"),
    "rubric": ("评分细则", "Rubric"),
    "disagreements": ("分歧项", "Disagreements"),
    "spread_over": ("极差大于 {n}", "spread above {n}"),
    "agreement": ("评价一致性", "Agreement"),
    "criterion": ("评价维度", "Criterion"),
    "evaluators": ("评估员", "Evaluators"),
    "units": ("可配对项", "Pairable items"),
    "ordinal": ("定序", "ordinal"),
    "interval": ("定距", "interval"),
    "scores": ("评分", "Scores"),
    "score": ("分数", "Score"),
    "item": ("评价对象", "Item"),
    "mean": ("均值", "Mean"),
    "spread": ("极差", "Spread"),
    "disagreement": ("分歧", "disagreement"),
    "system_status": ("系统评估", "System status"),
    "score_add": ("提交评分", "Submit a score"),
    "your_scores": ("您已提交 {n} 项评分（同一项再次提交将取代原评分）。",
                    "You have {n} score(s) in this round (a new score replaces yours)."),
    "midterm_title": ("{year}年目标中期评估", "Mid-term evaluation of the {year} targets"),
    "midterm_intro": (
        "当年各项目标的评估结论；下载的 Word 和 PDF 文件按当前数据版本生成。",
        "The verdict on each target of the year; the Word and PDF documents are generated "
        "from the current data vintage.",
    ),
    "midterm_generated": ("（首次下载需生成，约数秒）",
                          "(generated on first download; a few seconds)"),
    "midterm_period_over": ("规划期已结束，目标的最终结论见终期评估：",
                            "The plan period is over; the final verdicts are in the final "
                            "evaluation:"),
    "nav.final": ("终期评估", "Final evaluation"),
    "final_title": ("终期评估", "Final evaluation"),
    "final_intro": (
        "规划期结束后对全部量化目标的终期评估：已实现（提前或按期）、未实现、待数据公布和无法评估；"
        "下载的 Word 和 PDF 文件按当前数据版本生成。",
        "The final evaluation of every quantitative target once the plan period is over: met "
        "(early or on time), missed, awaiting publication and not assessable; the Word and PDF "
        "documents are generated from the current data vintage.",
    ),
    "final_not_yet": ("规划期至{last}年底结束，终期评估届时提供；此前请使用中期评估：",
                      "The plan period runs to the end of {last}; the final evaluation is "
                      "available after that. Until then, see the"),
    "final_rule": (
        "目标年度数据尚未公布的，如此前最新公布的数据已达到目标，即判为已实现；"
        "首次达到年份早于目标年度的为提前实现。",
        "Where the target year's figure is not yet published, a target the newest figure "
        "already meets is met; met before its year, it is met early.",
    ),
    "final_year": ("{year}年目标", "The {year} targets"),
    "final_first_met": ("首次达到", "First met"),
    "final_expected": ("预计公布", "Expected"),
}
