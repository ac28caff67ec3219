"""Seed the DESIGN.md taxonomy, default trigger rules, and the four role groups."""

from django.db import migrations

TAXONOMY = [
    # code, zh name, en name, zh description, en description, zh legal basis, en legal basis, working days
    (
        "over_permission", "强制、频繁、过度索取权限", "Excessive, forced or repeated permission requests",
        "拒绝授予非必要权限就不让使用，被拒绝后反复索取，索取超出功能需要的权限。",
        "Refuses to work without non-essential permissions, asks again and again, asks for more than the function needs.",
        "《个人信息保护法》第六条、第十六条；《App违法违规收集使用个人信息行为认定方法》",
        "Personal Information Protection Law arts. 6 and 16; Methods for Identifying Illegal Collection and Use of Personal Information by Apps",
        10,
    ),
    (
        "illegal_collection", "违规收集个人信息", "Collecting personal information unlawfully",
        "未经同意或超出告知范围收集个人信息，如设备标识、通讯录、剪贴板、后台位置。",
        "Collects personal information without consent or beyond the stated scope (device IDs, contacts, clipboard, background location).",
        "《个人信息保护法》第十三条、第十四条、第十七条；《网络安全法》第四十一条",
        "Personal Information Protection Law arts. 13, 14 and 17; Cybersecurity Law art. 41",
        10,
    ),
    (
        "data_sharing_leak", "违规使用、共享或泄露个人信息", "Using, sharing or leaking personal information unlawfully",
        "未经同意向第三方提供个人信息，强制定向推送，个人信息泄露或被出售。",
        "Shares with third parties without consent, forced targeted push, leaked or sold personal data.",
        "《个人信息保护法》第二十三条、第二十四条、第五十一条；《网络安全法》第四十二条",
        "Personal Information Protection Law arts. 23, 24 and 51; Cybersecurity Law art. 42",
        15,
    ),
    (
        "price_discrimination", "大数据杀熟", "Big-data price discrimination",
        "同一商品或服务，因用户画像、设备或消费习惯不同而价格不同；越搜越贵。",
        "Different prices for the same good or service by user profile, device or loyalty; prices rise the more you search.",
        "《个人信息保护法》第二十四条；《价格法》第十四条；《电子商务法》第十八条",
        "Personal Information Protection Law art. 24; Price Law art. 14; E-Commerce Law art. 18",
        15,
    ),
    (
        "fraud", "网络诈骗", "Online fraud",
        "虚假店铺、钓鱼链接、冒充客服退款、投资理财和贷款诈骗、扫码盗刷等。",
        "Fake shops, phishing, fake customer service and refund calls, investment and loan scams, QR-code theft.",
        "《反电信网络诈骗法》第二十二条、第二十五条；《消费者权益保护法》第五十五条",
        "Anti-Telecom and Online Fraud Law arts. 22 and 25; Consumer Rights Protection Law art. 55",
        5,
    ),
    (
        "unauthorized_charges", "乱扣费、自动续费陷阱", "Unauthorised charges and auto-renewal traps",
        "未经同意扣费、隐蔽自动续费、捆绑付费服务、难以取消的订阅。",
        "Charges without consent, hidden auto-renewal, bundled paid services, hard-to-cancel subscriptions.",
        "《消费者权益保护法》第九条、第十条；《电子商务法》第十九条",
        "Consumer Rights Protection Law arts. 9 and 10; E-Commerce Law art. 19",
        10,
    ),
    (
        "account_cancellation", "账号注销难", "Account deletion made difficult",
        "没有注销途径，或注销条件不合理、流程繁琐。",
        "No way, or an unreasonable way, to delete the account.",
        "《个人信息保护法》第四十七条；《网络安全法》第四十三条；《电子商务法》第二十四条",
        "Personal Information Protection Law art. 47; Cybersecurity Law art. 43; E-Commerce Law art. 24",
        15,
    ),
    (
        "misleading_popups", "欺骗误导、弹窗骚扰", "Deceptive pop-ups and misleading prompts",
        "欺骗误导或强制下载、无法关闭的弹窗、摇一摇跳转广告、频繁自启动和关联启动。",
        "Deceptive or forced downloads, unclosable pop-ups, shake-to-jump ads, frequent self-start.",
        "《广告法》第四十四条；《互联网广告管理办法》第十条",
        "Advertising Law art. 44; Measures for the Administration of Internet Advertising art. 10",
        10,
    ),
    (
        "other", "其他", "Other",
        "上述类别之外的消费者投诉。",
        "A real consumer complaint outside the categories above.",
        "《消费者权益保护法》",
        "Consumer Rights Protection Law",
        20,
    ),
]

ROLE_PERMISSIONS = {
    "consumer": [],
    "operator": [
        "view_app", "view_company", "view_complaint", "view_case", "view_notice",
        "add_operatorresponse", "view_operatorresponse", "add_evidence", "view_evidence",
    ],
    "regulator": [
        "view_company", "change_company", "add_company", "view_app", "change_app", "add_app",
        "view_category", "view_complaint", "change_complaint", "view_evidence", "add_evidence",
        "view_classification", "view_case", "add_case", "change_case", "view_casecategory",
        "view_casenote", "add_casenote", "view_notice", "add_notice", "view_operatorresponse",
        "view_event", "view_triggerrule", "add_triggerrule", "change_triggerrule",
        "view_modelversion",
    ],
}


def seed(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Category = apps.get_model("complaints", "Category")
    TriggerRule = apps.get_model("complaints", "TriggerRule")
    for order, (code, name_zh, name_en, desc_zh, desc_en, law_zh, law_en, days) in enumerate(TAXONOMY):
        category, _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": name_zh, "name_en": name_en, "description_zh": desc_zh,
                "description_en": desc_en, "legal_basis_zh": law_zh, "legal_basis_en": law_en,
                "default_deadline_working_days": days, "sort_order": order,
            },
        )
        if code != "other" and not TriggerRule.objects.filter(category=category).exists():
            TriggerRule.objects.create(category=category, threshold=5, window_days=30)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(Permission.objects.filter(codename__in=codenames))
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.set(Permission.objects.all())


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("classifier", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
