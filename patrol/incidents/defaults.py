"""The default category list and the departments a street starts with (pure data)."""

# (code, name, default department code, deadline value, deadline unit, [(sub code, sub name, value, unit)])
CATEGORIES = [
    (
        "01",
        "治安隐患",
        "paichusuo",
        1,
        "workdays",
        [
            ("0101", "可疑人员车辆", 24, "hours"),
            ("0102", "治安防范设施损坏", 3, "workdays"),
            ("0103", "非法聚集", 4, "hours"),
        ],
    ),
    (
        "02",
        "消防安全",
        "xiaofang",
        1,
        "workdays",
        [
            ("0201", "消防通道堵塞", 24, "hours"),
            ("0202", "电动车违规充电", 24, "hours"),
            ("0203", "消防设施损坏", 3, "workdays"),
            ("0204", "易燃物堆放", 24, "hours"),
        ],
    ),
    (
        "03",
        "矛盾纠纷",
        "sifa",
        5,
        "workdays",
        [
            ("0301", "邻里纠纷", 5, "workdays"),
            ("0302", "物业纠纷", 5, "workdays"),
            ("0303", "劳资纠纷", 5, "workdays"),
            ("0304", "家庭纠纷", 3, "workdays"),
        ],
    ),
    (
        "04",
        "环境卫生",
        "huanwei",
        1,
        "workdays",
        [
            ("0401", "垃圾堆积", 24, "hours"),
            ("0402", "乱扔乱倒", 24, "hours"),
            ("0403", "污水外溢", 12, "hours"),
            ("0404", "病媒生物", 3, "workdays"),
        ],
    ),
    (
        "05",
        "市政设施",
        "shizheng",
        3,
        "workdays",
        [
            ("0501", "道路破损", 5, "workdays"),
            ("0502", "路灯故障", 3, "workdays"),
            ("0503", "井盖缺失", 4, "hours"),
            ("0504", "排水堵塞", 24, "hours"),
        ],
    ),
    (
        "06",
        "违章搭建",
        "chengguan",
        5,
        "workdays",
        [
            ("0601", "违法建设", 5, "workdays"),
            ("0602", "占道经营", 24, "hours"),
            ("0603", "乱堆乱放", 2, "workdays"),
        ],
    ),
    (
        "07",
        "安全生产",
        "yingji",
        1,
        "workdays",
        [
            ("0701", "危化品隐患", 4, "hours"),
            ("0702", "施工安全", 24, "hours"),
            ("0703", "小场所安全隐患", 3, "workdays"),
        ],
    ),
    (
        "08",
        "食品药品",
        "shijian",
        3,
        "workdays",
        [
            ("0801", "无证经营", 5, "workdays"),
            ("0802", "过期食品药品", 2, "workdays"),
        ],
    ),
    (
        "09",
        "特殊人群异常",
        "zongzhi",
        4,
        "hours",
        [
            ("0901", "社区矫正人员异常", 4, "hours"),
            ("0902", "严重精神障碍患者异常", 2, "hours"),
            ("0903", "独居老人异常", 4, "hours"),
            ("0904", "刑满释放人员异常", 24, "hours"),
        ],
    ),
    (
        "99",
        "其他",
        "zongzhi",
        5,
        "workdays",
        [
            ("9901", "其他事项", 5, "workdays"),
        ],
    ),
]

DEPARTMENTS = [
    ("zongzhi", "街道综治中心"),
    ("paichusuo", "派出所"),
    ("xiaofang", "消防救援站"),
    ("sifa", "司法所"),
    ("huanwei", "环卫所"),
    ("shizheng", "市政设施管理所"),
    ("chengguan", "综合行政执法中队（城管）"),
    ("yingji", "应急管理办"),
    ("shijian", "市场监管所"),
]
