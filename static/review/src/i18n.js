// Message catalogues: zh-CN is the default, en the alternative; no UI string lives in the components.
// The server's catalogue (error codes, status and reason labels) is shared: patrol/messages/*.json.
import serverZh from "../../../patrol/messages/zh-CN.json";
import serverEn from "../../../patrol/messages/en.json";

const zh = {
  "app.title": "网格巡查 · 街道审阅",
  "app.logout": "退出",
  "app.lang": "English",
  "login.username": "用户名",
  "login.password": "密码",
  "login.submit": "登录",
  "login.failed": "登录失败：用户名或密码错误",
  "login.role": "此页面供街道、社区、部门和管理员使用",
  "filter.date": "日期",
  "filter.from": "自",
  "filter.to": "至",
  "filter.community": "社区",
  "filter.grid": "网格",
  "filter.worker": "网格员",
  "filter.category": "事件类别",
  "filter.status": "事件状态",
  "filter.all": "全部",
  "report.day": "日报",
  "report.week": "周报",
  "report.month": "月报",
  "report.html": "打印版",
  "report.xlsx": "下载 XLSX",
  "tab.grid": "网格当日",
  "tab.queue": "事件队列",
  "tab.charts": "统计图表",
  "legend.full": "双巡达标",
  "legend.partial": "仅一巡",
  "legend.none": "未巡",
  "legend.overdue": "超期事件",
  "legend.people": "逾期未访人员",
  "status.loaded": "网格 {grids} · 轨迹 {tracks} · 事件 {incidents}",
  "grid.pick": "在地图上点击网格，或在上方选择网格，查看当日巡查、事件与走访。",
  "grid.patrols": "巡查",
  "grid.incidents": "事件",
  "grid.visits": "走访",
  "grid.none": "无",
  "grid.households": "户数",
  "patrol.shift.am": "上午",
  "patrol.shift.pm": "下午",
  "patrol.valid": "有效",
  "patrol.invalid": "不计入",
  "patrol.replay": "回放",
  "patrol.time": "时间",
  "patrol.distance": "里程",
  "patrol.duration": "时长",
  "patrol.coverage": "覆盖",
  "patrol.inside": "网格内",
  "queue.empty": "没有符合条件的事件",
  "queue.overdue": "超期",
  "queue.note": "请填写说明",
  "queue.done": "已{action}",
  "queue.failed": "操作失败：{message}",
  "action.accept": "立案",
  "action.reject": "不予立案",
  "action.dispatch": "派遣",
  "action.close": "核查结案",
  "action.send_back": "返工",
  "action.reopen": "重新打开",
  "action.start": "开始处置",
  "action.resolve": "处置反馈",
  "action.merge": "合并",
  "chart.compliance": "双巡达标率（按日）",
  "chart.incidents": "事件（按类别与状态）",
  "chart.ontime": "按期结案率",
  "chart.visits": "走访：应访与已访",
  "chart.due": "应走访",
  "chart.done": "已走访",
  "error.generic": "出错了：{message}",
};

const en = {
  "app.title": "GridPatrol · street review",
  "app.logout": "Sign out",
  "app.lang": "中文",
  "login.username": "User name",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.failed": "Sign-in failed: wrong user name or password",
  "login.role": "This page is for street, community, department and admin users",
  "filter.date": "Day",
  "filter.from": "From",
  "filter.to": "To",
  "filter.community": "Community",
  "filter.grid": "Grid",
  "filter.worker": "Worker",
  "filter.category": "Category",
  "filter.status": "Status",
  "filter.all": "All",
  "report.day": "Daily report",
  "report.week": "Weekly report",
  "report.month": "Monthly report",
  "report.html": "Printable",
  "report.xlsx": "Download XLSX",
  "tab.grid": "Grid day",
  "tab.queue": "Incident queue",
  "tab.charts": "Charts",
  "legend.full": "Both patrols",
  "legend.partial": "One patrol",
  "legend.none": "No patrol",
  "legend.overdue": "Overdue incident",
  "legend.people": "Visit overdue",
  "status.loaded": "grids {grids} · tracks {tracks} · incidents {incidents}",
  "grid.pick": "Click a grid on the map, or choose one above, to see its day.",
  "grid.patrols": "Patrols",
  "grid.incidents": "Incidents",
  "grid.visits": "Visits",
  "grid.none": "None",
  "grid.households": "households",
  "patrol.shift.am": "Morning",
  "patrol.shift.pm": "Afternoon",
  "patrol.valid": "counts",
  "patrol.invalid": "does not count",
  "patrol.replay": "Replay",
  "patrol.time": "Time",
  "patrol.distance": "Distance",
  "patrol.duration": "Duration",
  "patrol.coverage": "Coverage",
  "patrol.inside": "Inside",
  "queue.empty": "No incidents match",
  "queue.overdue": "overdue",
  "queue.note": "Please give a note",
  "queue.done": "{action}: done",
  "queue.failed": "Failed: {message}",
  "action.accept": "Accept",
  "action.reject": "Reject",
  "action.dispatch": "Dispatch",
  "action.close": "Verify and close",
  "action.send_back": "Send back",
  "action.reopen": "Reopen",
  "action.start": "Start",
  "action.resolve": "Resolve",
  "action.merge": "Merge",
  "chart.compliance": "Twice-daily patrol compliance by day",
  "chart.incidents": "Incidents by category and status",
  "chart.ontime": "On-time closing rate",
  "chart.visits": "Visits due and done",
  "chart.due": "due",
  "chart.done": "done",
  "error.generic": "Something went wrong: {message}",
};

const catalogues = { "zh-CN": { ...serverZh, ...zh }, en: { ...serverEn, ...en } };
let locale = localStorage.getItem("review.locale") || "zh-CN";

export function t(key, values = {}) {
  const text = (catalogues[locale] || catalogues["zh-CN"])[key] ?? catalogues["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// A server error in the page's language: the catalogue text of its code, else the server's message.
export function serverMessage(body) {
  const template = body && body.code ? (catalogues[locale] || catalogues["zh-CN"])[body.code] : undefined;
  if (template && !/\{\w+\}/.test(template)) return template;
  return body && body.message;
}

export function currentLocale() {
  return locale;
}

export function toggleLocale() {
  locale = locale === "zh-CN" ? "en" : "zh-CN";
  localStorage.setItem("review.locale", locale);
}

export function translatePage(root = document) {
  document.documentElement.lang = locale;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
}
