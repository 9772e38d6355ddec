from qa_engine.audio.normalize import fix_domain_terms, normalize_numbers, normalize_text, spoken_chars


def test_digit_by_digit_numbers_become_digits():
    assert normalize_text("我的工號是幺三八二") == "我的工号是1382"
    assert normalize_numbers("电话一三八零零一三八零零零") == "电话13800138000"


def test_amounts_with_units_become_numbers():
    assert normalize_numbers("退款两百元") == "退款200元"
    assert normalize_numbers("一共三十元") == "一共30元"
    assert normalize_numbers("一点五") == "1.5"


def test_words_that_contain_numerals_stay_words():
    for text in ("稍等一下", "一起", "一定", "第一个", "两三天", "万一", "快一点", "十分感谢", "一一解答"):
        assert normalize_numbers(text) == text


def test_staff_id_homophones_fixed_only_before_digits():
    assert fix_domain_terms("功耗3306") == "工号3306"
    assert normalize_text("我的功号是一一二三") == "我的工号是1123"
    assert normalize_text("手机功耗很大") == "手机功耗很大"


def test_simplified_and_no_space_between_chinese():
    assert normalize_text("請問 有什麼 可以幫您") == "请问有什么可以帮您"


def test_spoken_chars_ignores_punctuation():
    assert spoken_chars("您好，工号1024。") == 8
