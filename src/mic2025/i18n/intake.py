"""Entering figures: the import's validation messages and the platform's entry form (area
``intake``).

The ``ingest.`` keys are the messages of :mod:`mic2025.ingest.validate` and
:mod:`mic2025.ingest.clean` that carry a key (``Problem.key``), said in the reader's language
by :mod:`mic2025.ingest.messages`; ``{name}`` there is always the indicator's name, never its
code. The ``entry.`` keys are the form's page.
"""

from __future__ import annotations

# key -> (zh, en)
STRINGS: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- validation messages
    "ingest.with_name": ("{name}：{text}", "{name}: {text}"),
    "ingest.indicator_required": ("缺少指标代码", "the indicator code is missing"),
    "ingest.indicator_unknown": ("未知指标“{code}”：既不是规划指标，也不是序列目录中的序列",
                                 "unknown indicator “{code}”: neither an indicator of the plan "
                                 "nor a series of the catalogue"),
    "ingest.did_you_mean": ("是否是指：{names}？", "did you mean {names}?"),
    "ingest.area_required": ("缺少地区：请填写行政区划代码，如 440000（广东省）",
                             "the area is missing: give its GB/T 2260 code, such as 440000 "
                             "(Guangdong)"),
    "ingest.area_unknown": ("未知地区：应为行政区划代码（如 440000）或省份全称",
                            "unknown area: give a GB/T 2260 code (such as 440000) or a "
                            "province's name"),
    "ingest.other_area": ("本次报送属于{area}；{other}的数字应在该地区自己的报送中填报",
                          "this submission is for {area}; a figure for {other} belongs in that "
                          "area's own submission"),
    "ingest.year_missing": ("缺少年份", "the year is missing"),
    "ingest.year_bad": ("年份应为四位数字，如 2024", "the year is four digits, such as 2024"),
    "ingest.year_range": ("年份 {year} 超出 1949–2100", "the year {year} is outside 1949–2100"),
    "ingest.date_bad": ("不是日期：应写作 2024-03-31 这样的日期",
                        "not a date: write a date such as 2024-03-31"),
    "ingest.unit_required": ("缺少单位", "the unit is missing"),
    "ingest.unit_unknown": ("无法识别的单位", "a unit mic2025 does not know"),
    "ingest.unit_mismatch": ("单位“{unit}”不适用：该指标以{accepted}计量",
                             "the unit “{unit}” does not fit: this indicator is measured in "
                             "{accepted}"),
    "ingest.or": ("或", " or "),
    "ingest.value_missing": ("未填数值：只填已发布的数字；不报送的指标请留空整行，估计值请标记 "
                             "estimate",
                             "no value: give only published figures; leave an indicator you do "
                             "not report empty, and flag an estimate 'estimate'"),
    "ingest.value_not_number": ("不是数字：应写作 1234.5、-3、12.5% 或 3.2亿元 这样的数字",
                                "not a number: write a number such as 1234.5, -3, 12.5% or "
                                "3.2亿元"),
    "ingest.value_qualified": ("“{word}”是对数字的修饰：请填写确切数字，约数标记 estimate，"
                               "“超过/不足”请填在下限/上限",
                               "“{word}” qualifies the number: write the plain number, flag an "
                               "approximate one 'estimate', and put 'more/less than' in "
                               "lower/upper"),
    "ingest.out_of_range": ("{value} 超出可能范围（{low}–{high}）",
                            "{value} is outside the possible range ({low}–{high})"),
    "ingest.publication_required": ("缺少出处：请填写发布机构和出版物，或转引网址",
                                    "no source: give the publisher and the publication, or the "
                                    "web address of the copy read"),
    "ingest.url_bad": ("“转引自”应为网址（http:// 或 https://）；纸质出版物请填在“出版物”",
                       "'retrieved from' is a web address (http:// or https://); a printed "
                       "publication goes under 'publication'"),
    "ingest.duplicate": ("{period} 的同一数字填了不止一次（另见{others}）：同一指标、地区、期间和"
                         "出处只填一个数字",
                         "the same figure for {period} is given more than once (also in "
                         "{others}): one figure per indicator, area, period and source"),
    "ingest.no_figures": ("没有数字：所有行都是空的；请填写所报指标的数值和出版物",
                          "no figures: every row is empty; fill in the value and the "
                          "publication of what you report"),
    "ingest.encoding_assumed": ("文件不是 UTF-8 编码，已按 {encoding} 读取（{why}）；如有乱码，"
                                "请另存为“CSV UTF-8”后重新上传",
                                "the file is not UTF-8 text; it was read as {encoding} ({why}); "
                                "if any text looks garbled, save it as 'CSV UTF-8' and upload "
                                "it again"),
    "ingest.encoding_why.gb18030": ("中文版 Windows 上的 Excel 以此编码保存 CSV",
                                    "what Excel on a Chinese-language Windows saves CSV in"),
    "ingest.encoding_why.big5": ("繁体中文 Windows 上的 Excel 以此编码保存 CSV",
                                 "what Excel on a traditional-Chinese Windows saves CSV in"),
    # ---------------------------------------------------------------- the entry form
    "entry.title": ("在线填报：{area} {year}年", "Enter figures: {area}, {year}"),
    "entry.link": ("在线填报", "Enter in the browser"),
    "entry.intro": ("逐项填写本年度数值与出处；未填数值的指标视为本期不报送。"
                    "保存草稿后可随时回来继续；校验规则与上传文件相同。",
                    "Enter this year's value and its source for each indicator; an indicator "
                    "left without a value is not reported this round. Save a draft and come back "
                    "to it at any time; the checks are those of an uploaded file."),
    "entry.indicator": ("指标", "Indicator"),
    "entry.unit": ("单位", "Unit"),
    "entry.last_year": ("上年（{year}）", "Last year ({year})"),
    "entry.base_year": ("基期（{year}）", "Base year ({year})"),
    "entry.value": ("{year}年数值", "Value {year}"),
    "entry.base_value": ("基期{year}年数值（库中尚无时填写）",
                         "Base-year {year} value (when none is stored)"),
    "entry.publisher": ("发布机构", "Publisher"),
    "entry.publication": ("出版物", "Publication"),
    "entry.publication_date": ("发布日期", "Published on"),
    "entry.note": ("备注", "Note"),
    "entry.none": ("—", "—"),
    "entry.save": ("保存草稿", "Save draft"),
    "entry.submit": ("保存并提交", "Save and submit"),
    "entry.saved": ("草稿已保存（#{id}）。", "Draft saved (#{id})."),
    "entry.problems": ("有 {n} 处问题，已在对应单元格下标出；可先保存草稿，改正后再提交。",
                       "{n} problem(s), shown under their cells; the draft is kept, fix them "
                       "before submitting."),
    "entry.locked": ("报送 #{id} 已提交、正在审核，退回后才能修改。",
                     "Submission #{id} is submitted and awaiting approval; it can be changed "
                     "only once it is returned."),
    "entry.resumed": ("已载入报送 #{id} 的草稿（{status}）。",
                      "Resumed submission #{id} ({status})."),
    "entry.other_rows": ("该报送中另有 {n} 行（其他地区、期间或指标）不在本表中显示，"
                         "保存后会被本表内容取代。",
                         "The submission holds {n} other row(s) (other areas, periods or "
                         "indicators) not shown here; saving replaces them with this form."),
    "entry.row_problem": ("本行", "This row"),
    "entry.default_source": ("统一出处（各行未填出处时使用）",
                             "Common source (used for rows that give none)"),
    "entry.example": ("示例", "example"),
    "entry.unit_words": ("单位说明", "Unit in words"),
    "entry.indicator_name": ("指标名称", "Indicator name"),
    "entry.notes": ("说明", "Notes"),
}
