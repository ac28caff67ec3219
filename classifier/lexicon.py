"""Keyword lexicon as features: one column per concept, 1 when any of its words occurs.

The keyword baseline beat the learned model on real over-permission complaints because a few
words ("索取权限", "requests READ_CONTACTS") carry the label whatever the register; n-grams
learned from first-person complaints spread that over many weak features. The lexicon gives
the model those words as a handful of strong features, including the wording of regulators'
notice items (问题项) and of bug-tracker issues, which the first corpus never used.

One regular expression finds every keyword in a single pass; the longest keyword at a
position wins, so "屏幕共享" (screen sharing, a fraud trick) is not read as "共享" (sharing).
"""

import re
from itertools import chain

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

# Written for AppWatch; keywords are matched in normalised text (lower case, Simplified).
# One string per concept, words separated by |.
_WORDS = {
    "permission": (
        "索取权限|过度索取|频繁索取|强制索取|索取|申请权限|权限申请|权限|授权|拒绝授权|不给权限|通讯录权限|定位权限|悬浮窗|始终允许|"
        "permission|permissions|requests access|asks for access|access to my|"
        "read_contacts|read_sms|read_phone_state|access_fine_location|"
        "access_background_location|manifest|allow access|don't allow"
    ),
    "collection": (
        "收集|违规收集|超范围收集|读取|获取|剪贴板|设备识别码|设备标识|设备号|imei|imsi|mac地址|android id|"
        "已安装应用列表|应用列表|后台定位|人脸|未明示|处理规则|隐私政策|收集使用|埋点|上报|collect|collects|"
        "collected|collecting|collection|telemetry|tracking|tracks|fingerprint|"
        "clipboard|device id|identifiers|in the background|gdpr|privacy policy|"
        "consent|analytics|records|logs my|uploads"
    ),
    "sharing": (
        "共享|提供给|第三方|泄露|泄漏|卖给|倒卖|出售|骚扰电话|推销电话|营销|境外|合作方|合作伙伴|share|shares|shared|"
        "sharing|third party|third-party|third parties|sends data to|sent to|"
        "leak|leaks|leaked|breach|sold my|data broker|exposed|facebook|google|"
        "azure|advertis|spam"
    ),
    "pricing": (
        "杀熟|大数据杀熟|差别定价|定价|价格歧视|新用户|老用户|老会员|比我便宜|贵了|更贵|price|prices|pricing|"
        "pay more|higher price|cheaper|fare|personalised pricing|"
        "personalized pricing|loyal|returning customers|new users"
    ),
    "fraud": (
        "骗|诈骗|骗子|冒充|假客服|安全账户|刷单|返利|投资|理财|提现|屏幕共享|共享屏幕|会议软件|保证金|解冻|验证码|转走|scam|"
        "scammer|scammers|fraud|phishing|fake|impersonat|posing as|pretending|"
        "crypto|invest|withdraw|gift card|safe account|screen-sharing|"
        "screen sharing|share my screen|remote access"
    ),
    "charges": (
        "扣费|扣款|扣了|扣钱|自动续费|续费|连续包月|默认勾选|免密|订阅|付费|增值业务|包月|charged|charge|charges|"
        "charging|billed|billing|subscription|renew|renewal|renewed|auto-renew|"
        "free trial|trial|in-app purchase|purchases"
    ),
    "cancellation": (
        "注销|删除账号|删号|销户|冷静期|注销难|delete my account|delete account|deleting|"
        "account deletion|close my account|deactivate|erasure|article 17|"
        "delete my data"
    ),
    "popups": (
        "弹窗|广告|跳转|开屏广告|开屏页|摇一摇|自启动|关联启动|唤醒|拉起|诱导|关闭按钮|跳过|误导|欺骗误导|下载页|pop-up|popup|"
        "pop-ups|close button|redirect|dark pattern|misleading|disguised|"
        "interstitial|full-screen|ads"
    ),
    "service": (
        "质量|物流|快递|发货|退货|闪退|卡顿|态度|售后|退款|配送|crash|crashes|freezes|slow|delivery|"
        "delivered|shipping|customer service|refund|broken|late"
    ),
    "notice": ("问题项|经检测|检测发现|经查|经核查|finding:|the authority"),
    "report": ("网友反映|记者|市民|据报道|据媒体|reported|reporters|according to"),
}
LEXICON: dict[str, tuple[str, ...]] = {k: tuple(v.split("|")) for k, v in _WORDS.items()}


def _trie_pattern(words: list[str]) -> str:
    """One regular expression for many words, factored by common prefix, longest first.

    An alternation of hundreds of literals is tried one literal at a time at every position
    of the text; factored as a trie, each position costs one branch on its character.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A word may end here: the longer words are tried first, then stopping.
        return f"(?:{group})?" if "" in node else group

    return build(trie)


def _matcher(lexicon: dict[str, list[str]]) -> tuple[list[re.Pattern], dict[str, tuple[int, ...]]]:
    """Patterns for the Chinese and the Latin keywords (two small tries run faster than one
    mixed one) and the columns each keyword sets."""
    columns: dict[str, list[int]] = {}
    for column, words in enumerate(lexicon.values()):
        for word in words:
            columns.setdefault(word, []).append(column)
    latin = [word for word in columns if word.isascii()]
    other = [word for word in columns if not word.isascii()]
    patterns = [re.compile(_trie_pattern(group)) for group in (other, latin) if group]
    return patterns, {word: tuple(cols) for word, cols in columns.items()}


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Pipeline step: normalised text in, one binary column per lexicon concept out."""

    def __init__(self, weight: float = 1.0):
        self.weight = weight

    def fit(self, X, y=None):
        # The lexicon travels with the fitted model, so a later edit cannot change its input.
        self.lexicon_ = {name: list(words) for name, words in LEXICON.items()}
        return self

    def _compiled(self):
        cached = getattr(self, "_matcher_cache", None)
        if cached is None or cached[0] is not self.lexicon_:
            cached = (self.lexicon_, *_matcher(self.lexicon_))
            self._matcher_cache = cached
        return cached[1], cached[2]

    def transform(self, X) -> sparse.csr_matrix:
        patterns, columns = self._compiled()
        indptr, indices = [0], []
        for text in X:
            found = []
            for pattern in patterns:
                found += pattern.findall(text)
            if found:
                indices.extend(sorted(set(chain.from_iterable(map(columns.__getitem__, found)))))
            indptr.append(len(indices))
        data = np.full(len(indices), self.weight, dtype=np.float32)
        return sparse.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(self.lexicon_)),
        )

    def get_feature_names_out(self, input_features=None):
        return np.array([f"lexicon:{name}" for name in self.lexicon_], dtype=object)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_matcher_cache", None)
        return state
