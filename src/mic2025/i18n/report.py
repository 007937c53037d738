"""The HTML report's labels, the engine's notes, reasons and derivations (area ``report``).

Part of the one table of :mod:`mic2025.i18n`. The English of ``verdict_note.*``,
``projection_note.*``, ``alternative_reason.*`` and ``projection_model.*`` is the engine's own
template (:mod:`mic2025.evaluate.model`), so the English report reads exactly as the engine's
text fields; tests/test_i18n.py checks that each code of the evaluation model has its entry here
and that the English is the engine's. Method names, references and category labels are the
method registry's bilingual text (:data:`mic2025.evaluate.methods.METHODS`), not entries here.
"""

from __future__ import annotations

# key -> (zh, en)
STRINGS: dict[str, tuple[str, str]] = {
    # page
    "report_title": ("监测评估报告", "Monitoring and evaluation report"),
    "lang_name": ("中文", "English"),
    "colon": ("：", ": "),
    # between the parts of one note, and between items of a list in running text
    "note_sep": ("；", "; "),
    "list_sep": ("、", ", "),
    "paren": ("（{text}）", " ({text})"),
    "html_lang": ("zh-CN", "en"),
    "bracket": ("（{text}）", "({text})"),
    "sentence_sep": ("", " "),
    "about_value": ("{value}左右（±{tol}）", "about {value} (±{tol})"),
    "interval_range": ("{level}区间 {lower}–{upper}", "{level} interval {lower}–{upper}"),
    "other_language": ("其他语言", "Other language"),
    "area": ("地区", "Area"),
    "evaluated_on": ("评估日期", "Evaluated on"),
    "as_of": ("数据截至", "Data as of"),
    "as_of_unknown": ("未注明", "not stated"),
    "beijing_time": ("{day} {time}（北京时间）", "{day} {time} Beijing time"),
    "method": ("评估方法", "Method"),
    "reference": ("方法出处", "Reference"),
    "plan_version": ("规划文件版本", "Plan file version"),
    "generated_at": ("生成时间", "Generated at"),
    "software": ("软件", "Software"),
    "synthetic_warning": (
        "注意：本报告含有标注为“合成”的虚构数据，仅用于测试和演示，不是公布的统计数字。",
        "Warning: this report contains figures flagged “synthetic”. They are made up for testing "
        "and demonstration, and are not published statistics.",
    ),
    "contents": ("目录", "Contents"),
    "how_to_read": ("阅读说明", "How to read this report"),
    "how_to_read_intro": (
        "每个指标对照规划的各项目标逐一评估。“状态”是按评估方法得出的进展判断；"
        "“结论”是目标年份过后的最终结果。所有数字均以上标注释标明出处，注释列在各指标一节末尾。",
        "Each metric is assessed against each of the plan's targets. The status is the progress "
        "judgement of the method; the verdict is the final outcome once the target year has "
        "passed. Every figure carries a numbered note giving its source; the notes are listed at "
        "the end of each metric's section.",
    ),
    "statuses": ("状态", "Statuses"),
    "verdicts": ("结论", "Verdicts"),
    "method_categories": ("本方法的类别", "Categories of this method"),
    "chart_reading": (
        "图中实心圆点为公布值，空心圆点为推算、估计或非全年数据，浅色菱形为未采用的其他公布数；"
        "虚线为从基期到各目标的规划路径，阴影为对目标年份的预测区间。",
        "In the charts, filled dots are published values; hollow dots are derived, estimated or "
        "part-year figures; faint diamonds are other published figures not used; the dashed line "
        "is the planned path from the base to each target; the shaded area is the projection "
        "interval for the target year.",
    ),
    "growth_path_note": (
        "年均增速目标的规划路径画为目标期内的水平线。",
        "For average-growth targets the planned path is drawn flat at the required rate over "
        "the target period.",
    ),
    "summary": ("总览", "Summary"),
    "metrics": ("各指标详情", "Metrics in detail"),
    "footnote": ("注", "Note"),
    "sources": ("资料来源", "Sources"),
    "other_figures": ("其他公布数", "Other published figures"),
    "other_figures_intro": (
        "以下数字针对同一指标和年份公布，但未用于评估，原因如下。",
        "These figures were published for the same metric and year but not used in the "
        "assessment, for the reasons given.",
    ),
    "data_table": ("数据", "Data"),
    "targets": ("目标", "Targets"),
    "no_observations": ("尚无可用的观测数据。", "No observations are available yet."),
    "no_results": ("本次评估没有结果。", "This evaluation has no results."),
    "unit_of_metric": ("计量单位", "Unit"),
    "direction": ("期望方向", "Desired direction"),
    "direction.increase": ("越高越好", "higher is better"),
    "direction.decrease": ("越低越好", "lower is better"),
    "group.indicator": ("主要指标", "Main indicator"),
    "group.project": ("重大工程", "Engineering project"),
    # summary table
    "col_parent": ("目标领域／工程", "Goal area / project"),
    "col_metric": ("指标", "Metric"),
    "col_target_year": ("目标年份", "Target year"),
    "col_target_text": ("规划表述", "Target as the plan words it"),
    "col_base": ("基期值", "Base"),
    "col_latest": ("最新值（年份）", "Latest (year)"),
    "col_target": ("目标值", "Target"),
    "col_progress": ("完成进度", "Progress"),
    "col_category": ("方法类别", "Method category"),
    "col_status": ("状态", "Status"),
    "col_verdict": ("结论", "Verdict"),
    "col_projection": ("目标年份预测", "Projection at target year"),
    # data tables
    "col_period": ("期间", "Period"),
    "col_value": ("数值", "Value"),
    "col_published_as": ("发布口径数值", "As published"),
    "col_scope": ("统计范围", "Scope"),
    "col_flags": ("标记", "Flags"),
    "col_reason": ("未采用原因", "Why not used"),
    # target details
    "target_kind": ("目标类型", "Kind of target"),
    "measure": ("比较口径", "Compared as"),
    "verdict_basis": ("结论依据", "Verdict based on"),
    "observed_pace": ("实际速度", "Observed pace"),
    "required_pace": ("所需速度", "Required pace"),
    "method_ratio": ("方法比率", "Method ratio"),
    "method_score": ("得分", "Score"),
    "projection": ("预测", "Projection"),
    "projection_model": ("预测模型", "Model"),
    "projection_points": ("所用数据点", "data points used"),
    "projection_interval": ("区间", "interval"),
    "probability": ("达标概率", "probability of meeting the target"),
    "probability_short": ("达标概率", "P(meet)"),
    "notes": ("说明", "Notes"),
    "about": ("左右", "about"),
    "per_year": ("／年", "/yr"),
    "pace.cagr": ("年均复合增长率", "compound annual growth"),
    "pace.linear": ("年均变化量", "change per year"),
    "pace.mean_growth": ("平均增速", "mean growth"),
    # footnotes
    "source_date": ("发布日期", "published"),
    "scope": ("范围", "scope"),
    "flags": ("标记", "flags"),
    "note_vintage": ("数据批次", "vintage"),
    "derivation": ("推算方法", "derivation"),
    # the source of a figure the plan states (evaluate.measures.PLAN_SOURCE), with the plan's
    # document number when the evaluation knows it
    "source.plan": ("规划（{document}）", "the plan ({document})"),
    "source.plan_undocumented": ("规划", "the plan"),
    # a figure's citation (mic2025.citation.cite): the publication first, the copy after it
    "cite.unnamed": ("原始出处未注明", "primary publication not named"),
    "cite.retrieved_from": ("转引自", "retrieved from"),
    "grade.official": ("官方网站", "official site"),
    "grade.official_media": ("官方媒体", "official media"),
    "grade.industry_body": ("行业组织", "industry body"),
    "grade.other_copy": ("其他转载", "other copy"),
    "quote": ("原文", "quote"),
    "published_as": ("发布口径", "as published"),
    "range": ("区间", "range"),
    "reason": ("原因", "reason"),
    "figure_for": ("所指数字", "figure"),
    # kinds of target and measures
    "kind.level": ("水平值", "level"),
    "kind.change_pp": ("比基期提高（百分点）", "change on base year (percentage points)"),
    "kind.relative_change": ("比基期变化（%）", "change on base year (%)"),
    "kind.average_growth": ("年均增速", "average annual growth"),
    "measure.level": ("水平值", "level"),
    "measure.index": ("指数（基期=100）", "index (base year = 100)"),
    "measure.growth": ("比上年增长", "growth on the previous year"),
    # chart
    "chart.series": ("公布值", "Published value"),
    "chart.flagged": ("推算／估计／非全年", "Derived / estimate / part-year"),
    "chart.alternatives": ("其他公布数", "Other published figure"),
    "chart.base": ("基期值", "Base"),
    "chart.target": ("目标", "Target"),
    "chart.tolerance": ("“左右”容差", "Tolerance of an about-target"),
    "chart.trajectory": ("规划路径", "Planned path"),
    "chart.projection": ("预测区间", "Projection interval"),
    "chart.no_data": ("尚无观测数据", "No observations yet"),
    "chart.unit": ("单位：", "Unit: "),
    "chart.index_axis": ("指数（{year}年=100）", "Index ({year} = 100)"),
    "chart.index_axis_nobase": ("指数", "Index"),
    "chart.growth_axis": ("比上年增长，%", "Growth on previous year, %"),
    "chart.target_label": ("{year} 目标 {value}", "{year} target {value}"),
    "chart.break_label": ("{year}年口径断点：{text}", "break {year}: {text}"),
    "chart.break_tip": ("{year}年起口径变化：{text}（{source}）",
                        "from {year} a series break: {text} ({source})"),
    "chart.target_label_about": ("{year} 目标 {value}左右", "{year} target about {value}"),
    "chart.desc_series": (
        "公布值 {n} 个（{first}–{last}），最新 {latest}（{latest_year}）。",
        "{n} published values ({first}–{last}), latest {latest} ({latest_year}).",
    ),
    "chart.desc_no_series": ("尚无公布值。", "No published values yet."),
    "chart.desc_target": (
        "{year} 年目标 {value}：{verdict}。",
        "{year} target {value}: {verdict}.",
    ),
    # statuses
    "status.achieved": ("已达标", "Achieved"),
    "status.on_track": ("进展顺利", "On track"),
    "status.needs_acceleration": ("需加快", "Needs acceleration"),
    "status.off_track": ("偏离目标", "Off track"),
    "status.insufficient_data": ("数据不足", "Insufficient data"),
    "status_desc.achieved": ("最新值已达到目标。", "The latest value meets the target."),
    "status_desc.on_track": (
        "按目前速度可在目标年份达标。",
        "At the observed pace the target will be met in time.",
    ),
    "status_desc.needs_acceleration": (
        "有进展，但须加快才能如期达标。",
        "Progress, but it has to speed up to meet the target in time.",
    ),
    "status_desc.off_track": (
        "进展很小或反向变化。",
        "Little or no progress, or moving away from the target.",
    ),
    "status_desc.insufficient_data": (
        "数据不足，无法评估。",
        "Not enough data to assess.",
    ),
    # verdicts
    "verdict_counts": ("各目标结论", "Targets by verdict"),
    "verdict.achieved": ("已实现", "Achieved"),
    "verdict.missed": ("未实现", "Missed"),
    "verdict.pending": ("待数据公布", "Pending data"),
    "verdict.open": ("尚未到期", "Open"),
    "verdict.not_assessable": ("无法评估", "Not assessable"),
    "verdict_desc.achieved": (
        "目标年份已过，该年数字达到目标。",
        "The target year has passed and its figure meets the target.",
    ),
    "verdict_desc.missed": (
        "目标年份已过，该年数字未达到目标。",
        "The target year has passed and its figure falls short of the target.",
    ),
    "verdict_desc.pending": (
        "目标年份已过，但该年数字尚未到公布期限。",
        "The target year has passed but its figure is not yet due.",
    ),
    "verdict_desc.open": ("目标年份尚未到来。", "The target year has not yet come."),
    "verdict_desc.not_assessable": (
        "没有可用数据，或目标年份数字已过公布期限仍不在数据库中（数据缺口）。",
        "There are no data to judge it, or the target year's figure is past its due date and "
        "not in the store (a data gap).",
    ),
    # method categories: Statistics Canada
    "category_desc.statcan.target_achieved": (
        "最新值已达到目标。",
        "The latest value meets the target.",
    ),
    "category_desc.statcan.on_track": (
        "实际增长率达到所需增长率的 95% 及以上。",
        "The observed growth rate is at least 95% of the required rate.",
    ),
    "category_desc.statcan.acceleration_needed": (
        "实际增长率为所需增长率的 60%–95%。",
        "The observed growth rate is 60–95% of the required rate.",
    ),
    "category_desc.statcan.limited_progress": (
        "实际增长率为所需增长率的 0–60%。",
        "The observed growth rate is 0–60% of the required rate.",
    ),
    "category_desc.statcan.deterioration": ("朝目标的反方向变化。", "Moving away from the target."),
    "category_desc.statcan.insufficient_data": (
        "少于两个年份的数据。",
        "Fewer than two years of data.",
    ),
    # UNSD 2020–2022
    "category_desc.unsd2022.target_met": (
        "最新值已达到目标。",
        "The latest value meets the target.",
    ),
    "category_desc.unsd2022.substantial_progress": (
        "实际与所需复合增长率之比不低于 0.95。",
        "Ratio of actual to required CAGR at least 0.95.",
    ),
    "category_desc.unsd2022.fair_progress": ("该比值为 0.50–0.95。", "The ratio is 0.50–0.95."),
    "category_desc.unsd2022.limited_or_no_progress": (
        "该比值为 −0.10–0.50。",
        "The ratio is −0.10–0.50.",
    ),
    "category_desc.unsd2022.deterioration": ("该比值低于 −0.10。", "The ratio is below −0.10."),
    "category_desc.unsd2022.insufficient_data": (
        "少于两个年份的数据。",
        "Fewer than two years of data.",
    ),
    # UNSD 2023+
    "category_desc.unsd2023.target_met_or_on_track": (
        "按实际速度外推，到目标年份可完成所需进展的 95% 以上，或已达标。",
        "Extrapolated at the observed pace, at least 95% of the required progress is made by "
        "the target year, or the target is already met.",
    ),
    "category_desc.unsd2023.fair_progress_acceleration_needed": (
        "外推可完成所需进展的 10%–95%。",
        "The extrapolation makes 10–95% of the required progress.",
    ),
    "category_desc.unsd2023.stagnation_or_regression": (
        "外推完成不到所需进展的 10%。",
        "The extrapolation makes less than 10% of the required progress.",
    ),
    "category_desc.unsd2023.insufficient_data": (
        "少于两个年份的数据。",
        "Fewer than two years of data.",
    ),
    # ESCAP
    "category_desc.escap.maintain": (
        "预测值在目标年份达到目标。",
        "The projected value reaches the target by the target year.",
    ),
    "category_desc.escap.accelerate": (
        "预测值在目标年份仍有差距，但好于基期。",
        "The projection falls short, but is better than the base.",
    ),
    "category_desc.escap.reverse": (
        "预测值不好于基期，须扭转趋势。",
        "The projection is no better than the base: the trend must be reversed.",
    ),
    "category_desc.escap.insufficient_data": (
        "少于两个年份的数据。",
        "Fewer than two years of data.",
    ),
    # flags
    "flag.derived": ("推算", "derived"),
    "flag.estimate": ("估计", "estimate"),
    "flag.provisional": ("初步数", "provisional"),
    "flag.synthetic": ("合成（虚构）", "synthetic (made up)"),
    "flag.proxy": ("替代指标", "proxy"),
    "flag.partial_year": ("非全年", "part-year"),
    "flag.partial-year": ("非全年", "part-year"),
    # units
    # a number with its unit in words, and units built from parts (mic2025.units)
    "unit_words.with": ("{text}{label}", "{text} {label}"),
    "unit_words.against_previous": ("上年", "previous year"),
    "unit_words.against_year": ("{year}年", "{year}"),
    "unit_words.points": ("比{against}变化{text}个百分点", "{text} pp change on {against}"),
    "unit_words.decline": ("比{against}下降{text}%", "{text}% decline on {against}"),
    "unit_words.change": ("比{against}变化{text}%", "{text}% change on {against}"),
    "unit_words.label_points": ("比{against}变化百分点", "pp change on {against}"),
    "unit_words.label_decline": ("比{against}下降%", "% decline on {against}"),
    "unit_words.label_change": ("比{against}变化%", "% change on {against}"),
    "unit_words.rate": ("{top}／{per}", "{top} per {per}"),
    "unit_words.count_rate": ("个／{per}", "per {per}"),
    "unit.%": ("%", "%"),
    "unit.pp": ("个百分点", "pp"),
    "unit.index": ("指数", "index"),
    "unit.count": ("个", "count"),
    "unit.%yoy": ("比上年增长%", "% on previous year"),
    "unit.decline%yoy": ("比上年下降%", "% decline on previous year"),
    "unit.yuan": ("元", "yuan"),
    "unit.10k_yuan": ("万元", "10k yuan"),
    "unit.100m_yuan": ("亿元", "100m yuan"),
    "unit.tce/10k_yuan": ("吨标准煤／万元", "tce per 10k yuan"),
    "unit.m3/10k_yuan": ("立方米／万元", "m³ per 10k yuan"),
    "unit.count/100m_yuan": ("件／亿元", "per 100m yuan"),
    "unit.100m_t": ("亿吨", "100m t"),
    # the key sectors' indicators (the plan's series)
    "unit.10k_units": ("万台（辆、套）", "10k units"),
    "unit.100m_units": ("亿块", "100m units"),
    "unit.10k_dwt": ("万载重吨", "10k dwt"),
    "unit.10k_km": ("万公里", "10k km"),
    "unit.robots/10k_employees": ("台／万名员工", "robots per 10k employees"),
    "unit.10k_kw": ("万千瓦", "10k kW"),
    "unit.100m_usd": ("亿美元", "USD 100m"),
    "unit.yuan/person": ("元／人", "yuan per person"),
    "unit.pct_of_us": ("%（美国=100）", "% of the US level"),
    # note codes of assessments (mic2025.evaluate.methods.NOTE_CODES)
    "note.insufficient_data": (
        "可用数据点不足两个（或期内无增速数据）",
        "Fewer than two usable points (or no growth figure in the period)",
    ),
    "note.no_base": (
        "无基期值，无法建立比较基准",
        "No base value: the comparison cannot be anchored",
    ),
    "note.no_data_after_base": ("基期之后没有观测值", "Nothing observed after the base year"),
    "note.latest_meets_target": (
        "数据不足以评估，但仅有的数值已达到目标",
        "Too few data to assess, but the one figure already meets the target",
    ),
    "note.linear_fallback": (
        "存在零值、负值或符号变化：改用线性进度比（P/E）",
        "Zero or negative values, or a sign change: linear share P/E used for CAGR",
    ),
    "note.base_beyond_target": ("基期值已达到目标", "The base value already met the target"),
    "note.target_equals_base": (
        "目标等于基期值：按“保持”规则评估",
        "Target equal to base: the 'maintain' rule applies",
    ),
    "note.tolerance_applied": (
        "仅在“左右”容差内达到目标",
        "Met only within the 'about' (左右) tolerance",
    ),
    "note.after_target_ignored": (
        "目标年份之后的数据未用于本项评估",
        "Points after the target year exist and were not used",
    ),
    "note.latest_after_target": (
        "只有目标年份之后的数据，已使用",
        "Only points after the target year exist; they were used",
    ),
    "note.period_incomplete": (
        "年均增速目标：期内并非每年都有数据",
        "Average-growth target: not every year of the period is observed",
    ),
    "note.within_1pp_of_bound": (
        "UNSD 2023：目标为0或100%，数值与之相差不足1个百分点",
        "UNSD 2023: target 0 or 100 % and the value is within 1 pp of it",
    ),
    "note.escap_reconstructed": (
        "ESCAP：时间权重与分类阈值为mic2025的重建",
        "ESCAP: time weights and class cut-offs are mic2025's reconstruction",
    ),
    "note.base_from_plan": (
        "基期值取自规划文件所列数值",
        "The base value is the plan's stated baseline",
    ),
    "note.base_observed": (
        "规划未列基期值：采用观测到的基期年份数值",
        "No baseline in the plan: the observed base-year figure is the base",
    ),
    "note.base_observed_later": (
        "无基期年份数值：采用其后第一个年份作为基期",
        "No base-year figure: the first later year is used as the base",
    ),
    "note.base_differs_from_observed": (
        "规划基期值与观测的基期年份数值相差超过1%",
        "Plan baseline and observed base-year figure differ by > 1 %",
    ),
    "note.mixed_scopes": (
        "主序列混合了不同统计口径的数据",
        "The headline series mixes figures of different scopes",
    ),
    "note.partial_year": (
        "主序列中有数值只覆盖年内部分时间",
        "A headline figure covers part of a year only",
    ),
    "note.partial_year_latest": (
        "所用最新值只覆盖年内部分时间",
        "The latest figure used covers part of a year only",
    ),
    "note.chained": (
        "部分指数点由其他公布的变化率连乘推算",
        "Some index points were chained from other published changes",
    ),
    "note.change_in_points": (
        "无基期水平值：改为比较百分点变化",
        "No base level: the change in percentage points is compared instead",
    ),
    "note.verdict_from_next_year": (
        "无目标年份数值：结论采用次年数值",
        "No figure for the target year: the verdict uses the next year's",
    ),
    "note.verdict_pending": (
        "目标年份已过，但该年数值尚未公布",
        "The target year is over but its figure is not yet published",
    ),
    "note.data_gap": (
        "目标年份数值已到公布期限，但数据库中没有该数值（数据缺口）",
        "The target year's figure is due and not in the store (a data gap)",
    ),
    "note.break_segment": (
        "序列有已声明的断点：只采用与目标年份同一口径一侧的数据",
        "A declared series break: only the figures on the target year's side are read",
    ),
    "note.break_linked": (
        "断点之前的数据按已声明的衔接系数换算后采用",
        "Figures before a declared break are carried across by its chain link",
    ),
    "note.segment_base": (
        "基期在断点另一侧：以可比段内第一个数值为基期",
        "The base year is on the other side of a break: the segment's first figure is the base",
    ),
    # the engine's structured notes on a verdict (evaluate.model.VERDICT_NOTE_CODES)
    "verdict_note.tolerance": (
        "在“左右”容差±{tolerance:g}以内达到",
        "met within the 'about' tolerance of ±{tolerance:g}",
    ),
    "verdict_note.partial_year_headline": (
        "{target_year}年的主要数值为非全年数据（{period}）；按全年数值{value:g}判定（口径：{scope}"
        "；{source}）",
        "the headline figure for {target_year} is part-year ({period}); judged on the full-year "
        "figure {value:g} (scope {scope}, {source})",
    ),
    "verdict_note.next_year": (
        "{target_year}年无全年数值，按{next_year}年数值判定（{period}，{value:g}）（依据进展评估方"
        "法说明第9节规则4）",
        "no full-year figure for {target_year}: judged on the {next_year} figure ({period}, "
        "{value:g}) (progress-method notes §9 rule 4)",
    ),
    "verdict_note.pending_latest": (
        "{target_year}年数值尚未公布，评估采用最新数值（{latest_period}）",
        "the figure for {target_year} is not yet published; the assessment uses the latest figure "
        "({latest_period})",
    ),
    "verdict_note.geometric_mean": (
        "{first}–{last}年几何平均增速为每年{mean:.2f}%",
        "geometric mean growth {first}–{last}: {mean:.2f}% a year",
    ),
    "verdict_note.growth_years_known": (
        "{first}–{last}年共{years}年中已知{known}年；得出结论需要全部年份",
        "{known} of {years} years of {first}–{last} known; the verdict needs them all",
    ),
    "verdict_note.due": (
        "{target_year}年数值应于{due_date}前公布",
        "the figure for {target_year} is due by {due_date}",
    ),
    "verdict_note.data_gap": (
        "无法评估——{target_year}年数值应于{due_date}前公布，但数据库中没有该数值",
        "not assessable — the figure for {target_year}, due by {due_date}, is not in the store",
    ),
    "verdict_note.on_lower_bound": (
        "依据下限判定：{series} {year}年为{value:g}，本指标不低于此值",
        "decided on a lower bound: {series} {year} = {value:g}, which bounds this metric from "
        "below",
    ),
    "verdict_note.on_upper_bound": (
        "依据上限判定：{series} {year}年为{value:g}，本指标不高于此值",
        "decided on an upper bound: {series} {year} = {value:g}, which bounds this metric from "
        "above",
    ),
    "verdict_bound.lower": ("依据下限", "on a lower bound"),
    "verdict_bound.upper": ("依据上限", "on an upper bound"),
    "series_break": ("口径断点", "series break"),
    # ... on a projection (evaluate.model.PROJECTION_NOTE_CODES)
    "projection_note.too_few_points": (
        "仅{n}个数据点：趋势至少需要{min_points}个",
        "{n} point(s): a trend needs at least {min_points}",
    ),
    "projection_note.no_interval": (
        "仅{n}个数据点：趋势线为外推，给出区间和概率至少需要{min_points}个",
        "only {n} points: the line is extrapolated, but an interval and a probability need at "
        "least {min_points}",
    ),
    "projection_note.clipped": (
        "趋势值为{raw:.4g}，超出指标的取值范围，截取为{value:.4g}",
        "the trend leads to {raw:.4g}, outside the metric's range; clipped to {value:.4g}",
    ),
    "projection_note.growth_too_few": (
        "仅{n}个增速数据：预测至少需要{min_points}个",
        "{n} growth figure(s): a projection needs at least {min_points}",
    ),
    "projection_note.growth_no_interval": (
        "仅{n}个增速数据：只作点预测，给出区间和概率至少需要{min_points}个",
        "only {n} growth figures: a point projection only; an interval and a probability need at "
        "least {min_points}",
    ),
    # why a figure is an alternative (evaluate.model.ALTERNATIVE_REASON_CODES)
    "alternative_reason.proxy": (
        "替代指标数值：不进入主序列",
        "proxy figure: never used in the headline series",
    ),
    "alternative_reason.scope_not_accepted": (
        "口径{scope}不是规划对该指标认可的口径（{accepted}）",
        "scope {scope} is not one the plan accepts for this metric ({accepted})",
    ),
    "alternative_reason.plan_baseline": (
        "规划基数：已显示首选口径的观测值；比较仍以规划数值为基数",
        "plan baseline: an observation of the preferred scope is shown; the plan's figure stays "
        "the base of the comparison",
    ),
    "alternative_reason.base_year": (
        "基年：指数按定义为{value}",
        "base year: the index is {value} by definition",
    ),
    "alternative_reason.other_scope": ("其他口径：{scope}", "other scope: {scope}"),
    "alternative_reason.other_scope_none": ("其他口径：（未注明）", "other scope: (none)"),
    "alternative_reason.full_year": ("已由全年数值取代", "superseded by full-year figure"),
    "alternative_reason.later_period": (
        "已由更晚期间的数值取代（{period}）",
        "superseded by a later period ({period})",
    ),
    "alternative_reason.other_route": (
        "其他推算路径（{derivation}）；与主序列数值相差{diff:+.4g}",
        "other route ({derivation}); differs from the headline by {diff:+.4g}",
    ),
    "alternative_reason.derived": (
        "推算数值；已有公布数值",
        "derived figure; a published figure exists",
    ),
    "alternative_reason.later_vintage": ("已由更新版本取代", "superseded by a later vintage"),
    "alternative_reason.same_figure": (
        "另一发布中的相同数值（{source}）",
        "same figure from another release ({source})",
    ),
    "alternative_reason.conflicting_source": (
        "来源数值不一致：{value}，主序列采用{source}的{headline}",
        "conflicting source: {value} against {headline} from {source}",
    ),
    "alternative_reason.conflicting_source_newer": (
        "来源数值不一致：{value}，主序列采用{source}的{headline}（采用较晚发布）",
        "conflicting source: {value} against {headline} from {source} (the later release is used)",
    ),
    "alternative_reason.no_comparable_value": ("无可比数值", "no comparable value"),
    "alternative_reason.refers_not_before": (
        "参照{needs}年，该年不早于{year}年",
        "refers to {needs}, which is not before {year}",
    ),
    "alternative_reason.chain_missing": (
        "无法链式推算：需要{needs}年的数值，但该数值缺失",
        "cannot be chained: needs the value for {needs}, which is not available",
    ),
    "alternative_reason.change_not_level": (
        "变化数值（{unit}）在没有基数时无法换算为水平值",
        "a change figure ({unit}) cannot become a level without a base",
    ),
    "alternative_reason.unit_not_convertible": (
        "单位{unit}无法换算为{to}",
        "unit {unit} cannot be converted to {to}",
    ),
    "alternative_reason.no_base_for_points": (
        "缺少{base_year}年基数：以{unit}表示的数值无法换算为相对{base_year}年的百分点变化",
        "no base level for {base_year}: a figure in {unit} cannot become a change in points "
        "against {base_year}",
    ),
    "alternative_reason.points_not_relative": (
        "百分点变化（{unit}）无法表示相对变化",
        "a change in percentage points ({unit}) cannot express a relative change",
    ),
    "alternative_reason.partial_year_yoy": (
        "非全年期间（{period}）的同比变化无法链接到年度指数",
        "a year-on-year change for part of a year ({period}) cannot be chained onto the annual "
        "index",
    ),
    "alternative_reason.level_needs_base": (
        "水平值（{unit}）需要{base_year}年水平值才能换算为指数，但该值未知",
        "a level ({unit}) needs the {base_year} level to become an index; none is known",
    ),
    "alternative_reason.unit_not_base_unit": (
        "单位{unit}无法换算为基年水平值的单位{to}",
        "unit {unit} cannot be converted to the base level's unit {to}",
    ),
    "alternative_reason.base_level_zero": (
        "{base_year}年水平值为0，无法构成指数",
        "the {base_year} level is 0: no index can be formed",
    ),
    "alternative_reason.level_not_growth": (
        "以{unit}表示的水平值不是年度增速（增速应记为%yoy）",
        "a level in {unit} is not a yearly growth rate (a growth rate is recorded in %yoy)",
    ),
    "alternative_reason.fixed_change_not_growth": (
        "相对固定年份的变化（{unit}）不是年度增速",
        "a change against a fixed year ({unit}) is not a yearly growth rate",
    ),
    "alternative_reason.growth_prev_missing": (
        "由水平值计算增速需要{prev_year}年水平值，但该值缺失",
        "growth from levels needs the {prev_year} level, which is not available",
    ),
    "alternative_reason.growth_part_year": (
        "由非全年水平值计算的增速不能与年度增速比较",
        "growth from a part-year level is not comparable with a yearly rate",
    ),
    "alternative_reason.growth_prev_not_positive": (
        "{prev_year}年水平值不为正，无法计算增速",
        "the {prev_year} level is not positive: no growth rate",
    ),
    # the projection models (evaluate.model.PROJECTION_MODEL_CODES)
    "projection_model.linear_trend": (
        "时间加权线性趋势（加权最小二乘，权重1 + (年份 − 首年)/(末年 − "
        "首年)）；残差自助法（B={n_boot}，随机种子{seed}），{level:.0%}百分位预测区间",
        "time-weighted linear trend (WLS, weights 1 + (year − first)/(last − first)); residual "
        "bootstrap B={n_boot}, seed {seed}, {level:.0%} percentile prediction interval",
    ),
    "projection_model.mean_growth": (
        "以时间加权平均增速补足期内缺失年份（权重1 + (年份 − 首年)/(末年 − "
        "首年)），按期内几何平均；残差自助法（B={n_boot}，随机种子{seed}），{level:.0%}百分位预测"
        "区间",
        "time-weighted mean growth for the period's missing years (weights 1 + (year − "
        "first)/(last − first)), geometric mean over the period; residual bootstrap B={n_boot}, "
        "seed {seed}, {level:.0%} percentile prediction interval",
    ),
}

# how a figure was computed (evaluate.model.DERIVATION_CODES): code -> (Chinese, English). The
# report's English differs from the engine's (``SeriesPoint.derivation``) in its words for
# units and the plan, and in saying what was published where the engine gives a unit code.
# Arguments as the engine gives them, and, filled in by mic2025.report.fmt.derivation:
# ``published`` (``value`` in ``unit``, in words: 比2015年下降16% / 16% decline on 2015),
# ``result`` (``converted`` in ``to``), units in words, ``where`` the plan in words, and ``of``
# the short form (``derivation_short.<code>``) of the figure a chained one builds on.
_DERIVATIONS: dict[str, tuple[str, str]] = {
    "plan_baseline": ("规划所列数值（{document}）", "baseline stated in the plan ({document})"),
    "plan_baseline_undocumented": ("规划所列数值", "baseline stated in the plan"),
    "unit_conversion": ("{published} → {result}", "{published} → {result}"),
    "level_plus_points": (
        "{year}年水平值（{level}）{op} {change:g}个百分点（公布值：{published}）",
        "level {year} ({level}) {op} {change:g} pp (published: {published})"),
    "points_base": ("基期{base_year}年：按定义变化为0",
                    "base year {base_year}: no change by definition"),
    "index_base": ("基期{base_year}年 = 100", "base year {base_year} = 100"),
    "index_direct": ("100 × (1 {op} {change:g}%)（公布值：{published}）",
                     "100 × (1 {op} {change:g}%) (published: {published})"),
    "index_levels": (
        "100 × {level} / {base_level}（水平值，单位：{level_unit}；{base_year}年数值来自{where}）",
        "100 × {level} / {base_level} (levels, unit: {level_unit}; {base_year} from {where})"),
    "index_chained": (
        "{year}年指数（{index}，{of}）× (1 {op} {change:g}%)（公布值：{published}）",
        "index {year} ({index}, {of}) × (1 {op} {change:g}%) (published: {published})"),
    "growth_levels": ("100 × ({current} / {previous} − 1)（{previous_year}年和{year}年水平值）",
                      "100 × ({current} / {previous} − 1) (levels {previous_year} and {year})"),
}
_DERIVATIONS_SHORT: dict[str, tuple[str, str]] = {
    "plan_baseline": ("规划所列数值", "the plan's figure"),
    "plan_baseline_undocumented": ("规划所列数值", "the plan's figure"),
    "unit_conversion": ("据{published}换算", "converted from {published}"),
    "level_plus_points": ("据{published}推算", "from {published}"),
    "points_base": ("基期", "base year"),
    "index_base": ("基期", "base year"),
    "index_direct": ("据{published}推算", "from {published}"),
    "index_levels": ("据水平值推算", "from levels"),
    "index_chained": ("据{published}连乘推算", "chained from {published}"),
    "growth_levels": ("据{previous_year}年和{year}年水平值计算",
                      "from levels {previous_year} and {year}"),
}

STRINGS.update({f"derivation.{code}": pair for code, pair in _DERIVATIONS.items()})
STRINGS.update({f"derivation_short.{code}": pair for code, pair in _DERIVATIONS_SHORT.items()})
