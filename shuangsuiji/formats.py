"""The columns of every import/export format (Chinese and English headers).

``docs/formats.md`` documents the same table; a test checks the two agree.
"""
from __future__ import annotations

from .tabular import Column

ENTITY_COLUMNS = [
    Column("uscc", "统一社会信用代码", "USCC", required=True, is_id=True,
           aliases=("注册号", "统一社会信用代码/注册号", "credit_code", "id")),
    Column("name", "名称", "Name", required=True, aliases=("企业名称", "市场主体名称", "主体名称")),
    Column("entity_type", "主体类型", "Entity type", aliases=("市场主体类型", "类型", "type")),
    Column("industry", "行业代码", "Industry", aliases=("国民经济行业", "行业")),
    Column("region", "行政区划", "Region", is_id=True, aliases=("行政区划代码", "区划代码", "登记机关区划")),
    Column("address", "住所", "Address", aliases=("地址", "经营场所")),
    Column("status", "登记状态", "Status", aliases=("状态", "经营状态")),
    Column("unit", "管辖单位", "Supervising unit", aliases=("监管单位", "管辖机关", "unit_name")),
    Column("risk", "信用风险分类", "Risk class", aliases=("风险分类", "信用风险等级", "risk_class")),
    Column("tags", "标签", "Tags", aliases=("特殊名单", "名单标签")),
    Column("last_inspected", "最近检查日期", "Last inspected", aliases=("上次检查日期",)),
    Column("enabled", "是否启用", "Enabled", aliases=("启用",)),
]

INSPECTOR_COLUMNS = [
    Column("cert_no", "执法证号", "Certificate number", required=True, is_id=True,
           aliases=("执法证件号", "证件号", "cert")),
    Column("name", "姓名", "Name", required=True),
    Column("department", "所属部门", "Department", required=True, aliases=("部门",)),
    Column("unit", "所属单位", "Unit", aliases=("单位", "所在单位")),
    Column("qualifications", "专业资格", "Qualifications", aliases=("资格", "专长", "业务专长")),
    Column("status", "在岗状态", "Status", aliases=("状态",)),
    Column("capacity", "检查上限", "Capacity", aliases=("任务上限", "每任务上限")),
    Column("expert", "是否专家", "Expert", aliases=("专家",)),
    Column("id_card", "身份证号", "ID card", is_id=True, aliases=("身份证",)),
    Column("phone", "联系电话", "Phone", is_id=True, aliases=("电话", "手机")),
]

ITEM_COLUMNS = [
    Column("code", "事项编码", "Item code", required=True, is_id=True, aliases=("编码", "事项代码")),
    Column("name", "事项名称", "Item name", required=True, aliases=("抽查事项",)),
    Column("sub_item", "子项", "Sub-item", aliases=("检查子项",)),
    Column("legal_basis", "法律依据", "Legal basis", aliases=("检查依据", "依据")),
    Column("department", "实施部门", "Department", required=True, aliases=("检查部门", "部门")),
    Column("target_type", "检查对象", "Target type", aliases=("检查对象类型", "对象类型")),
    Column("method", "检查方式", "Method", aliases=("方式",)),
    Column("ratio", "抽查比例", "Ratio", aliases=("比例",)),
    Column("frequency", "抽查频次", "Frequency", aliases=("频次",)),
    Column("qualification", "资格要求", "Qualification", aliases=("执法人员要求", "人员资格要求")),
    Column("category", "事项类别", "Category", aliases=("类别",)),
    Column("enabled", "是否启用", "Enabled", aliases=("启用",)),
]

CONFLICT_COLUMNS = [
    Column("cert_no", "执法证号", "Certificate number", required=True, is_id=True, aliases=("cert",)),
    Column("uscc", "统一社会信用代码", "USCC", required=True, is_id=True, aliases=("注册号",)),
    Column("reason", "回避事由", "Reason", aliases=("事由", "关系")),
    Column("valid_from", "生效日期", "Valid from", aliases=("开始日期",)),
    Column("valid_to", "失效日期", "Valid to", aliases=("结束日期",)),
]

HISTORY_COLUMNS = [
    Column("uscc", "统一社会信用代码", "USCC", required=True, is_id=True, aliases=("注册号",)),
    Column("inspected_on", "检查日期", "Inspected on", required=True, aliases=("日期",)),
    Column("department", "检查部门", "Department", aliases=("部门",)),
    Column("cert_nos", "检查人员执法证号", "Inspector certificates", aliases=("执法证号",)),
]

COLUMNS = {
    "entities": ENTITY_COLUMNS,
    "inspectors": INSPECTOR_COLUMNS,
    "items": ITEM_COLUMNS,
    "conflicts": CONFLICT_COLUMNS,
    "history": HISTORY_COLUMNS,
}
KINDS = tuple(COLUMNS)
