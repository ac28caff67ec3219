"""The demo's fictional world: company and app names put together from parts, cities, stores,
demo users, and credit codes with valid checksums. Nothing here names a real company."""

from stdnum.cn import uscc

SEED = 20261121
# Mainland mobile number blocks (fictional numbers are drawn inside them).
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "158", "186", "187", "188"]
DEMO_USERS = [
    # log-in name, password, group, staff. A consumer logs in with the e-mail address, which
    # sign-up makes the username; staff and operators with a plain username.
    ("consumer@appwatch.demo", "demo-consumer-2026", "consumer", False),
    ("operator", "demo-operator-2026", "operator", False),
    ("regulator", "demo-regulator-2026", "regulator", True),
    ("admin", "demo-admin-2026", "admin", True),
]
# The demo regulator's and admin's authenticator secret (base32), published in README.md so
# that whoever tries the demo can add it to an authenticator app (or ask `manage.py demo_code`).
# Two-factor log-in stays on in the demo, as staff meet it in production; a real account sets
# up its own secret on its first log-in.
DEMO_TOTP_SECRET = "IFYHAV3BORRWQLLEMVWW6LJSGAZDMIJB"
DEMO_TOTP_DEVICE = "demo authenticator"

# Fictional company and app names, put together from parts.
PREFIXES = [
    ("星河", "Xinghe"),
    ("云帆", "Yunfan"),
    ("速达", "Suda"),
    ("乐享", "Lexiang"),
    ("智联", "Zhilian"),
    ("优选", "Youxuan"),
    ("蓝鲸", "Lanjing"),
    ("青橙", "Qingcheng"),
    ("快马", "Kuaima"),
    ("同行", "Tongxing"),
    ("金穗", "Jinsui"),
    ("点点", "Diandian"),
    ("微光", "Weiguang"),
    ("悦动", "Yuedong"),
    ("鹿鸣", "Luming"),
    ("启明", "Qiming"),
    ("易购", "Yigou"),
    ("拾光", "Shiguang"),
    ("飞鱼", "Feiyu"),
    ("果然", "Guoran"),
    ("橙子", "Chengzi"),
    ("远山", "Yuanshan"),
    ("小鹿", "Xiaolu"),
    ("明途", "Mingtu"),
    ("百川", "Baichuan"),
]
INDUSTRIES = [
    ("网络科技", "Network Technology"),
    ("信息技术", "Information Technology"),
    ("电子商务", "E-Commerce"),
    ("数字科技", "Digital Technology"),
]
CITIES = [
    ("北京", "京", "11"),
    ("上海", "沪", "31"),
    ("杭州", "浙", "33"),
    ("深圳", "粤", "44"),
    ("成都", "川", "51"),
    ("武汉", "鄂", "42"),
]
APP_KINDS = [
    ("外卖", "Food", "food"),
    ("出行", "Ride", "ride"),
    ("商城", "Mall", "mall"),
    ("旅行", "Trip", "travel"),
    ("短视频", "Clips", "video"),
    ("借钱", "Loan", "loan"),
    ("课堂", "Class", "edu"),
    ("健康", "Health", "health"),
    ("游戏", "Games", "game"),
    ("音乐", "Music", "music"),
    ("手电筒", "Torch", "tools"),
    ("天气", "Weather", "weather"),
    ("钱包", "Wallet", "wallet"),
    ("二手", "Resale", "resale"),
    ("停车", "Parking", "parking"),
]
# Words that tie a complaint's text to a kind of app: a demo complaint about a food-delivery app
# talks about riders and orders, not loans. Texts with none of them suit any app.
KIND_WORDS = {
    "food": r"外卖|骑手|送餐|点餐|餐厅|商家|delivery|food|restaurant|rider",
    "ride": r"打车|司机|行程|车费|网约车|叫车|ride|driver|taxi",
    "mall": r"购物|商品|下单|商城|优惠券|快递|店铺|shopping|coupon|seller",
    "travel": r"酒店|机票|房间|旅行|景区|航班|民宿|hotel|flight|booking",
    "video": r"视频|直播|短剧|追剧|video|stream",
    "loan": r"借款|贷款|利息|还款|额度|网贷|借钱|loan|interest|repay",
    "edu": r"课程|学习|老师|网课|作业|家长|course|lesson|tutor",
    "health": r"体检|医生|问诊|药|挂号|健康|doctor|health|medical",
    "game": r"游戏|抽卡|皮肤|充值|装备|game|gacha",
    "music": r"音乐|歌曲|听歌|歌单|music|song|playlist",
    "tools": r"手电筒|清理|工具|torch|flashlight|cleaner",
    "weather": r"天气|weather|forecast",
    "wallet": r"钱包|转账|银行卡|支付|wallet|payment|transfer",
    "resale": r"二手|闲置|买家|卖家|second-hand|resale",
    "parking": r"停车|车位|车牌|parking",
}
STORES = ["华为应用市场", "小米应用商店", "OPPO软件商店", "vivo应用商店", "App Store", "应用宝"]
FALLBACK_TEXTS = {
    "over_permission": "不给通讯录权限就打不开，拒绝以后每次启动都弹窗要。",
    "illegal_collection": "手机隐私报告显示这个应用在后台反复读取剪贴板和位置。",
    "data_sharing_leak": "刚下单就接到陌生电话，对方清楚说出我的订单和地址。",
    "price_discrimination": "同一间房同一天，我的账号比朋友的贵了六十多块。",
    "fraud": "自称客服打电话说要给我退款，让我扫码，结果被转走两千元。",
    "unauthorized_charges": "试用期结束自动扣了年费，之前完全没有提醒。",
    "account_cancellation": "找不到注销入口，客服说要上传手持身份证照片还要等三十天。",
    "misleading_popups": "开屏广告稍微晃一下手机就跳到购物应用，关不掉。",
    "other": "外卖送达晚了一个半小时，饭菜都凉了，商家也不理。",
}


def demo_credit_code(n: int) -> str:
    body = f"9133{n:04d}MA{n:08d}"[:17]
    body = body.replace("I", "J").replace("O", "P")
    return body + uscc.calc_check_digit(body)
