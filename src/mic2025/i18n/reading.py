"""The reading pages: the leader's view, the province list, the inbox and its notices
(area ``reading``)."""

from __future__ import annotations

# key -> (zh, en)
STRINGS: dict[str, tuple[str, str]] = {
    "nav.leader": ("领导视图", "Leader's view"),
    "nav.inbox": ("消息", "Inbox"),
    "leader.intro": (
        "一页看清：各目标的结论、最大的风险、最近一次数据更新带来的变化和即将到期的事项。",
        "One page: the verdicts of the targets, the largest risks, what the latest data "
        "changed and what falls due next."),
    "leader.verdicts": ("目标结论", "Targets by verdict"),
    "leader.statuses": ("未到期目标的进展", "Open targets by status"),
    "leader.risks": ("主要风险", "Largest risks"),
    "leader.risks_more": ("共{n}条预警，全部预警见预警页。", "{n} warnings in all: see the "
                          "warnings page."),
    "leader.no_risks": ("当前没有预警。", "No warning in force."),
    "leader.changed": ("最近一次数据更新带来的变化", "What changed with the latest data"),
    "leader.latest_vintage": ("最新数据批次", "Latest data vintage"),
    "leader.previous_vintage": ("上一批次", "Previous vintage"),
    "leader.vintage_line": ("第{id}批（{at}，{source}）：新增{new}条，修订{revised}条",
                            "Vintage {id} ({at}, {source}): {new} new, {revised} revised"),
    "leader.no_previous": ("数据库中只有一个数据批次，尚无可比较的上一批次。",
                           "The store holds one vintage only: there is no previous one to "
                           "compare with."),
    "leader.no_changes": ("与上一批次相比，没有目标的进展或结论发生变化。",
                          "No target changed its status or verdict since the previous vintage."),
    "leader.new_risks": ("本批次新出现的预警", "Warnings new with this vintage"),
    "leader.before": ("此前", "Before"),
    "leader.after": ("现在", "Now"),
    "leader.new_target": ("（新）", "(new)"),
    "leader.deadlines": ("即将到期", "Next deadlines"),
    "leader.deadline_all": ("各省", "every province"),
    "leader.outstanding": ("尚未报送{n}个", "{n} not handed in"),
    "leader.all_in": ("已全部报送", "all handed in"),
    "leader.no_deadlines": ("没有即将到期的报送期限。", "No reporting deadline ahead."),
    "leader.publications": ("即将公布的数据", "Figures due to be published"),
    "col.due": ("截止日期", "Due"),
    "col.round": ("报送年度", "Reporting year"),
    "col.count": ("数量", "Count"),
    "provinces.intro": (
        "各省最新数据年份、已有数据的指标个数，以及所选年度的报送状态（有权限的账号可见）。",
        "Each province's latest year of figures, how many indicators it has figures of, and "
        "its submission status for the chosen year (for accounts that may see it)."),
    "provinces.latest_year": ("最新数据年份", "Latest year"),
    "provinces.figures": ("有数据的指标", "Indicators with figures"),
    "provinces.status": ("{year}年报送状态", "{year} submission"),
    "provinces.no_round": ("不参加省级报送", "no provincial round"),
    "provinces.map_title": ("各省最新年份有数据的指标个数", "Indicators with figures in each "
                            "province's latest year"),
    "provinces.map_tooltip": ("{b}：{c}个指标", "{b}: {c} indicators"),
    "provinces.figures_more": ("多", "more"),
    "provinces.figures_fewer": ("少", "fewer"),
    "provinces.year": ("报送年度", "Reporting year"),
    "inbox.intro": ("报送被退回、批准、提交待审和报送期限临近时，这里会收到通知。",
                    "Notices arrive here when a submission is returned, approved or awaits "
                    "your approval, and before a reporting deadline."),
    "inbox.empty": ("没有消息。", "No notice."),
    "inbox.unread": ("未读", "unread"),
    "inbox.mark_read": ("全部标为已读", "Mark all as read"),
    "inbox.open": ("查看", "Open"),
    "notice.returned": ("{area}{year}年报送（第{id}号）已被{actor}退回：{comment}",
                        "{area} {year} submission #{id} was returned by {actor}: {comment}"),
    "notice.approved": ("{area}{year}年报送（第{id}号）已被{actor}批准。",
                        "{area} {year} submission #{id} was approved by {actor}."),
    "notice.endorsed": ("{area}{year}年报送（第{id}号）已由{actor}省级审核通过，等待国家验收。",
                        "{area} {year} submission #{id} was endorsed by {actor} for the "
                        "province and awaits national acceptance."),
    "notice.to_accept": (
        "{area}{year}年报送（第{id}号）已由{actor}省级审核通过，等待您验收。",
        "{area} {year} submission #{id} was endorsed by {actor} for the province and awaits "
        "your national acceptance."),
    "notice.accepted": ("{area}{year}年报送（第{id}号）已被{actor}验收。",
                        "{area} {year} submission #{id} was accepted by {actor}."),
    "notice.submitted": ("{area}{year}年报送（第{id}号）已由{actor}提交，等待审核。",
                         "{area} {year} submission #{id} was submitted by {actor} and awaits "
                         "approval."),
    "notice.unlocked": ("{area}{year}年报送（第{id}号）已被{actor}解锁：{comment}",
                        "{area} {year} submission #{id} was unlocked by {actor}: {comment}"),
    "notice.reminder": ("{area}{year}年数据报送将于{due}截止（还有{days}天），尚未提交。",
                        "The {area} {year} submission is due on {due} ({days} day(s) left) "
                        "and has not been submitted."),
    "notice.email_subject": ("中国制造2025监测平台：{n}条新消息",
                             "Made in China 2025 platform: {n} new notice(s)"),
}
