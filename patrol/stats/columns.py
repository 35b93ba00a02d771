"""Column layouts (Chinese headers, kinds, widths) of the report and export tables."""

from patrol import messages
from patrol.tabular import Column

# Chinese labels of the statuses, from the catalogue (messages.labels("incident_status") for the request language).
STATUSES = ("reported", "accepted", "rejected", "dispatched", "in_progress", "resolved", "closed")
STATUS_ZH = messages.labels("incident_status", "zh-CN", STATUSES)

COMPLIANCE = [
    Column("key", "网格编码", "grid", "text", 18),
    Column("name", "网格名称", "name", "text", 18),
    Column("required", "应巡次数", "required", "int", 10),
    Column("done", "已巡次数", "done", "int", 10),
    Column("valid", "有效次数", "valid", "int", 10),
    Column("grid_days", "网格日数", "grid-days", "int", 10),
    Column("compliant_days", "双巡达标日数", "compliant days", "int", 12),
    Column("rate", "达标率", "compliance rate", "percent", 10),
    Column("distance_km", "里程(公里)", "distance km", "float", 10),
    Column("duration_h", "时长(小时)", "duration h", "float", 10),
    Column("reasons_text", "未达标原因", "reasons", "text", 40),
]

INDICATORS = [
    Column("key", "类别编码", "category", "text", 10),
    Column("label", "类别", "name", "text", 16),
    Column("reported", "上报数", "reported", "int", 9),
    Column("dispatched", "派遣数", "dispatched", "int", 9),
    Column("closed", "结案数", "closed", "int", 9),
    Column("due", "应结案数", "due", "int", 10),
    Column("closed_on_time", "按期结案数", "closed on time", "int", 11),
    Column("on_time_close_rate", "按期结案率", "on-time closing rate", "percent", 11),
    Column("open_overdue", "超期未结数", "open overdue", "int", 11),
    Column("avg_handling_hours", "平均处置时长(小时)", "avg handling hours", "float", 14),
]

BY_STATUS = [
    Column("key", "类别编码", "category", "text", 10),
    Column("label", "类别", "name", "text", 16),
    Column("total", "合计", "total", "int", 8),
    *[Column(status, zh, status, "int", 9) for status, zh in STATUS_ZH.items()],
    Column("overdue", "超期", "overdue", "int", 8),
]

OVERDUE_INCIDENTS = [
    Column("id", "事件编号", "id", "text", 38),
    Column("grid_code", "网格编码", "grid", "text", 18),
    Column("grid_name", "网格", "grid name", "text", 14),
    Column("category", "类别", "category", "text", 14),
    Column("status", "状态", "status", "text", 10),
    Column("department", "处置部门", "department", "text", 14),
    Column("reported_at", "上报时间", "reported", "datetime", 17),
    Column("due_at", "处置时限", "due", "datetime", 17),
    Column("days_overdue", "超期天数", "days overdue", "int", 9),
]

VISITS = [
    Column("key", "类别编码", "category", "text", 16),
    Column("label", "人员类别", "name", "text", 18),
    Column("persons", "人数", "persons", "int", 8),
    Column("done", "已走访次数", "visits done", "int", 10),
    Column("due", "应走访次数", "visits due", "int", 10),
    Column("on_time", "按时走访", "on time", "int", 10),
    Column("overdue", "逾期", "overdue", "int", 8),
    Column("on_time_rate", "按时率", "on-time rate", "percent", 10),
]

OVERDUE_VISITS = [
    Column("person_id", "人员编号", "person", "int", 9),
    Column("name", "姓名（脱敏）", "name (masked)", "text", 12),
    Column("grid_code", "网格编码", "grid", "text", 18),
    Column("categories", "人员类别", "categories", "text", 20),
    Column("due_date", "应访日期", "due", "date", 12),
    Column("days_overdue", "逾期天数", "days overdue", "int", 9),
]
