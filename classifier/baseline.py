"""A keyword baseline: the floor every learned candidate has to beat.

A label applies when its keywords occur in the normalised text; with no hit the complaint is
"other". It learns nothing, so its cross-validation score is its score on each fold.
"""

from .text import normalise

KEYWORDS: dict[str, tuple[str, ...]] = {
    "over_permission": (
        "权限",
        "通讯录权限",
        "定位权限",
        "相机权限",
        "麦克风",
        "不给权限",
        "不授权",
        "强制授权",
        "反复弹出授权",
        "permission",
        "permissions",
        "allow access",
        "access to my contacts",
        "won't work unless",
    ),
    "illegal_collection": (
        "收集",
        "获取我的",
        "读取剪贴板",
        "剪贴板",
        "设备号",
        "imei",
        "后台定位",
        "偷偷",
        "人脸",
        "身份证",
        "collect",
        "collects",
        "collected",
        "clipboard",
        "device id",
        "in the background",
        "tracking",
    ),
    "data_sharing_leak": (
        "泄露",
        "泄漏",
        "共享给",
        "第三方",
        "卖给",
        "倒卖",
        "骚扰电话",
        "推销电话",
        "个人信息被",
        "leak",
        "leaked",
        "sold my",
        "third party",
        "third-party",
        "shared my",
        "spam calls",
    ),
    "price_discrimination": (
        "杀熟",
        "大数据",
        "价格不一样",
        "价格不同",
        "比别人贵",
        "新用户",
        "老用户",
        "同一时间",
        "越搜越贵",
        "涨价",
        "price discrimination",
        "different price",
        "higher price",
        "loyal customer",
        "new users",
        "price went up",
    ),
    "fraud": (
        "诈骗",
        "骗子",
        "被骗",
        "骗了",
        "假客服",
        "刷单",
        "钓鱼",
        "转账",
        "屏幕共享",
        "冒充",
        "理财",
        "贷款",
        "scam",
        "scammer",
        "fraud",
        "phishing",
        "fake",
        "impersonat",
        "screen sharing",
        "transfer",
    ),
    "unauthorized_charges": (
        "扣费",
        "自动续费",
        "扣款",
        "续费",
        "乱收费",
        "会员",
        "免密支付",
        "退订",
        "订阅",
        "charged",
        "auto-renew",
        "auto renew",
        "subscription",
        "renewal",
        "without my consent",
        "deducted",
    ),
    "account_cancellation": (
        "注销",
        "销户",
        "删除账号",
        "注销账号",
        "无法注销",
        "账号注销",
        "delete my account",
        "delete account",
        "account deletion",
        "close my account",
        "deactivate",
    ),
    "misleading_popups": (
        "弹窗",
        "广告",
        "摇一摇",
        "跳转",
        "关不掉",
        "自启动",
        "诱导下载",
        "开屏",
        "pop-up",
        "popup",
        "pop up",
        "ads",
        "shake",
        "redirect",
        "can't close",
        "auto-start",
    ),
}
FALLBACK = "other"


class KeywordBaseline:
    """Predicts label sets from keyword hits; `fit` is a no-op kept for a uniform interface."""

    algorithm = "keyword_baseline"

    def __init__(self, keywords: dict[str, tuple[str, ...]] | None = None):
        self.keywords = {
            label: tuple(normalise(k) for k in words)
            for label, words in (keywords or KEYWORDS).items()
        }

    def fit(self, texts, labels=None):
        return self

    def predict_labels(self, texts) -> list[list[str]]:
        predictions = []
        for text in texts:
            norm = normalise(text)
            hits = [
                label
                for label, words in self.keywords.items()
                if any(word in norm for word in words)
            ]
            predictions.append(hits or [FALLBACK])
        return predictions
