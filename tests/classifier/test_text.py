"""Normalisation, language detection and segmentation: what the model sees of a complaint."""

from classifier.text import detect_language, normalise, segment


def test_full_width_and_nfkc_become_half_width():
    assert normalise("ＡＰＰ　一直　弹窗！") == "app 一直 弹窗!"


def test_traditional_characters_become_simplified():
    assert normalise("這個應用程式一直彈窗，帳號無法註銷") == "这个应用程式一直弹窗,帐号无法注销"


def test_lower_case_and_placeholders_for_urls_phones_and_money():
    text = (
        "Paid ¥1,299 and 38元 and $2.99, call 138-1234-5678 or 400 820 1234, see https://x.cn/a?b=1"
    )
    assert (
        normalise(text)
        == "paid moneytok and moneytok and moneytok , call phonetok or phonetok , see urltok"
    )


def test_other_numbers_collapse_to_zero():
    assert normalise("3月15日下单，订单号 20240315") == "0月0日下单,订单号 0"


def test_language_by_script():
    assert detect_language("这个应用一直弹窗") == "zh-hans"
    assert detect_language("這個應用一直彈窗") == "zh-hant"
    assert detect_language("The app keeps asking for my contacts.") == "en"
    # An English complaint quoting a Chinese app name stays English.
    assert (
        detect_language(
            "I installed 快送 and it keeps charging my card every month without asking me"
        )
        == "en"
    )
    # A Chinese complaint with English app names is Chinese.
    assert detect_language("PixelMall 的 app 一直弹窗广告，关都关不掉") == "zh-hans"


def test_segment_uses_words_for_chinese_and_keeps_placeholders():
    words = segment(normalise("注销账号要先打客服电话 13812345678，然后 refund 还没到")).split()
    assert "注销" in words and "账号" in words
    assert "phonetok" in words and "refund" in words
    assert "," not in words


def test_rjieba_segments_exactly_like_jieba():
    """The corpus segmented by jieba itself and by its Rust port: the same words."""
    import jieba
    import rjieba

    from classifier.dataset import corpus_load

    jieba.setLogLevel(60)
    texts = [normalise(e.text) for e in corpus_load()[::7]]
    assert [jieba.lcut(t, HMM=False) for t in texts] == [rjieba.cut(t, hmm=False) for t in texts]


def test_every_full_width_ascii_form_becomes_half_width():
    full = "".join(chr(0xFF01 + i) for i in range(0x5E))
    half = "".join(chr(0x21 + i) for i in range(0x5E))
    assert normalise(full + "\u3000x") == normalise(half + " x")
