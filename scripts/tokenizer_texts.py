"""Hard input texts for debertac's tokenizer tests (shared by make_tokenizer_fixtures.py and
check_tokenizer.py): a fixed list of hand-picked texts, long texts for truncation, invalid UTF-8
byte strings, and a seeded random text generator mixing all of those categories with random code
points from many Unicode blocks. Standard library only."""

import random

SPECIAL_LITERALS = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"]

# (label, text). Labels only help reading failures.
HARD_TEXTS = [
    # --- trivial / empty / whitespace
    ("empty", ""),
    ("space", " "),
    ("spaces", "     "),
    ("ws-mixed", " \t\n\r\n \u3000\u00a0 "),
    ("word", "hello"),
    ("sentence", "The quick brown fox jumps over the lazy dog."),
    ("leading-trailing", "   leading and trailing spaces   "),
    ("space-runs", "a  b   c    d"),
    ("tabs", "a\tb\t\tc"),
    ("newlines", "line one\nline two\n\nline four"),
    ("crlf", "windows\r\nline\r\nend\r\n"),
    ("cr", "old\rmac"),
    ("nbsp", "non\u00a0breaking\u00a0space"),
    ("ideographic-space", "全角\u3000スペース"),
    ("unicode-spaces", "em\u2003en\u2002thin\u2009hair\u200afig\u2007narrow\u202fmath\u205f."),
    ("line-para-sep", "line\u2028separator\u2029paragraph"),
    ("nel", "next\u0085line"),
    # --- zero width, BOM, soft hyphen, bidi
    ("zwsp", "zero\u200bwidth\u200bspace"),
    ("zwj-zwnj", "a\u200db\u200cc \u0645\u200c\u06cc"),
    ("bom", "\ufeffBOM at start and in\ufeffmiddle"),
    ("soft-hyphen", "soft\u00adhyphen\u00ad"),
    ("word-joiner", "word\u2060joiner"),
    ("bidi-controls", "\u202eRTL override\u202c and \u200fmark\u200e"),
    ("variation-selectors", "\u2764\ufe0f \u2764\ufe0e \u263a\ufe0f"),
    # --- control characters
    ("c0-controls", "a\x01b\x02c\x1bd\x1fe"),
    ("del", "delete\x7fme"),
    ("c1-controls", "c1\x80\x85\x9f."),
    ("nul", "nul\x00char"),
    ("vt-ff", "vertical\x0btab\x0cform feed"),
    ("only-controls", "\x01\x02\x7f"),
    # --- NFKC-sensitive
    ("ligatures", "ﬁnance ﬂower ﬀ ﬃ ﬄ ﬅ ﬆ"),
    ("fullwidth", "ＡＢＣ ｄｅｆ １２３ ！？（）"),
    ("halfwidth-kana", "ｶﾀｶﾅ ﾊﾟﾋﾟ"),
    ("squared", "㎒ ㎏ ㎞ ㍻ ㌔ ㈱"),
    ("superscripts", "x² y³ z⁴ H₂O ⁿ ₙ"),
    ("roman", "Ⅻ ⅻ Ⅳ ⅷ"),
    ("fractions", "½ ⅓ ¼ ⅞ 1⁄2"),
    ("compat-cjk", "豈 更 車 ⼀ ⼆ ⽇"),
    ("circled", "① ② ⑩ ⓐ Ⓩ"),
    ("math-alnum", "𝐀𝐁𝐂 𝑥𝑦𝑧 𝔸𝔹 𝟙𝟚"),
    ("letterlike", "℃ ℉ № ™ ℡ Ω K Å ℌ"),
    ("ellipsis-dots", "wait… what‥ ok"),
    ("compat-spaces-punct", "‼ ⁇ ⁈ ․ ‥"),
    # --- combining marks / accents
    ("decomposed-e", "cafe\u0301 re\u0301sume\u0301"),
    ("precomposed-e", "café résumé"),
    ("stacked-combining", "a\u0300\u0301\u0302\u0303 Z\u0351\u0352\u0353"),
    ("lone-combining", "\u0301 \u0308start"),
    ("hangul-jamo", "\u1112\u1161\u11ab \u1100\u1173\u11af"),
    ("angstrom", "\u212b vs \u00c5 vs A\u030a"),
    # --- scripts
    ("cjk", "我们今天去公园散步，天气非常好。"),
    ("cjk-rare", "龘靐齉 𠀀𠀁 𪚥"),
    ("japanese", "東京は日本の首都です。ひらがな カタカナ"),
    ("korean", "안녕하세요, 만나서 반갑습니다."),
    ("arabic", "مرحبا بكم في هذا الاختبار."),
    ("arabic-presentation", "ﻻ ﷲ ﺎﻠﺴﻼﻣ"),
    ("hebrew", "שלום עולם, מה שלומך?"),
    ("devanagari", "नमस्ते, आप कैसे हैं? क्षत्रिय"),
    ("thai", "สวัสดีครับ ยินดีที่ได้รู้จัก"),
    ("greek", "Γεια σου κόσμε"),
    ("cyrillic", "Привет, как дела?"),
    ("mixed-scripts", "English 中文 العربية עברית हिन्दी 日本語 한국어 Ελληνικά"),
    ("accented-latin", "Über Straße São Paulo naïve Zażółć gęślą jaźń Ærø ðþ"),
    # --- casing (do_lower_case, nmt_nfkc_cf)
    ("final-sigma", "ΟΔΟΣ ΟΔΥΣΣΕΥΣ Σ ΣΑΣ."),
    ("turkish-i", "İstanbul IŞIK ıi"),
    ("sharp-s", "STRASSE Straße ẞ"),
    ("titlecase-digraphs", "ǅ ǈ ǋ ǲ"),
    ("upper-sentence", "THE QUICK BROWN FOX."),
    ("mixed-case", "HeLLo WoRLD McDonald iPhone"),
    ("kelvin-ohm", "\u212a\u2126 \u212a vs K"),
    # --- emoji
    ("emoji", "I love pizza 🍕 and coffee ☕!"),
    ("emoji-skin-tones", "👍 👍🏻 👍🏽 👍🏿 👋🏾"),
    ("emoji-zwj", "👨‍👩‍👧‍👦 👩‍💻 🏳️‍🌈 🧑🏽‍🚀"),
    ("flags", "🇺🇸🇯🇵🇩🇪 🇫🇷 🏴󠁧󠁢󠁳󠁣󠁴󠁿"),
    ("keycap", "1️⃣ #️⃣ *️⃣"),
    ("emoji-run", "😀😃😄😁😆😅😂🤣🥲☺️😊"),
    # --- private use, noncharacters, unknown runs
    ("private-use", "\ue000\ue001 pua \uf8ff"),
    ("supplementary-pua", "\U000f0000\U000f0001 and \U00100000"),
    ("noncharacters", "\ufffe\uffff \U0001fffe"),
    ("replacement-char", "bad \ufffd byte"),
    ("unknown-run", "☃☃☃☃ snow ♞♜♝ chess"),
    ("unknown-mixed", "x☃y♞z"),
    ("unknown-between-spaces", "a ☃ ☃ ☃ b"),
    ("rare-symbols", "⌘⌥⎋ ⏏ ␣ ⍼"),
    ("tags-block", "\U000e0041\U000e0042 tag chars"),
    ("byte-piece-literal", "<0x41> <0xE2><0x98> <unk> <s> </s> ▁ ▁▁x"),
    # --- digits and punctuation
    ("digits", "0123456789 3.14159 1,234,567 2024-03-15"),
    ("long-number", "98765432109876543210987654321"),
    ("unicode-digits", "٣٤٥ ३४५ ３４５"),
    ("punct-run", "!!!???...,,,;;;:::---___"),
    ("ascii-punct", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    ("unicode-punct", "«quotes» “curly” ‘single’ „low“ — – ‒ ¿¡ 。、「」"),
    ("url-email", "see https://example.com/a/b?c=d&e=f#g or mail user.name+tag@example.org"),
    ("code", "def f(x): return x**2 if x > 0 else -x  # comment"),
    ("contractions", "don't won't it's they're I'm y'all"),
    ("user-symbols", "xyzzy<url>:: 12345 🤗 hello<url>world a::b"),
    # --- literal special tokens
    ("sep", "[SEP]"),
    ("cls", "[CLS]"),
    ("mask", "[MASK]"),
    ("unk", "[UNK]"),
    ("pad", "[PAD]"),
    ("a-sep-b", "a[SEP]b"),
    ("spaced-sep", " [SEP] "),
    ("sep-sep", "[SEP][SEP]"),
    ("mask-in-sentence", "The capital of France is [MASK]."),
    ("mask-glued", "x[MASK]y [MASK]s"),
    ("specials-all", "[CLS] one [SEP] two [PAD][UNK] three [MASK]"),
    ("special-lowercase", "[sep] [cls] [mask]"),
    ("special-mixedcase", "[Sep] [Mask]"),
    ("special-partial", "[SEP [MASK [CLS ]SEP] [ SEP ]"),
    ("special-nested", "[[SEP]] [[MASK]]"),
    ("special-fullwidth", "［SEP］ [ＳＥＰ]"),
    ("special-spaces-around", "a  [SEP]  b\t[MASK]\nc"),
]

# Texts long enough to be truncated at every max_length used in the goldens.
LONG_EN = (
    "Tokenizers split text into pieces that a model can look up in its vocabulary. "
    "SentencePiece treats the input as a raw stream of Unicode characters, replaces spaces with "
    "the meta symbol and learns a unigram language model over subword pieces. DeBERTa-v3 uses a "
    "vocabulary of 128,000 pieces, adds [CLS] at the start and [SEP] at the end of every sequence, "
    "and separates the two segments of a pair with another [SEP]. When a pair is too long, the "
    "longest_first strategy removes tokens from the longer sequence first, and then from both "
    "sequences alternately, so that the total fits into max_length. "
) * 2
LONG_MULTI = (
    "Le café est très chaud. Über den Wolken. 我们今天去公园散步，天气非常好。東京は日本の首都です。"
    "안녕하세요, 만나서 반갑습니다. مرحبا بكم في هذا الاختبار. שלום עולם. नमस्ते, आप कैसे हैं? "
    "I love pizza 🍕 and coffee ☕! 👍🏽 👨‍👩‍👧‍👦 ﬁle ＡＢＣ ㎒ x² Ⅻ e\u0301 ☃☃ \ue000 "
) * 2
SHORT = "Short one."
TINY = "x"

# Inputs debertac must reject (not valid UTF-8). Hex, space separated.
INVALID_UTF8 = [
    "80",            # lone continuation byte
    "bf",
    "c3",            # truncated 2-byte sequence at end
    "c3 28",         # bad continuation
    "c0 80",         # overlong NUL
    "c1 bf",         # overlong
    "e0 80 80",      # overlong 3-byte
    "e2 82",         # truncated 3-byte
    "e2 28 a1",      # bad continuation in 3-byte
    "ed a0 80",      # UTF-16 surrogate U+D800
    "ed bf bf",      # surrogate U+DFFF
    "ed a0 bd ed b8 80",  # CESU-8 surrogate pair
    "f0 80 80 80",   # overlong 4-byte
    "f0 9f 98",      # truncated 4-byte
    "f4 90 80 80",   # > U+10FFFF
    "f5 80 80 80",   # invalid lead byte
    "f8 88 80 80 80",  # 5-byte form
    "fc 84 80 80 80 80",  # 6-byte form
    "fe",
    "ff",
    "61 80 62",      # continuation byte in the middle of ASCII
    "68 65 6c 6c 6f c3",  # valid prefix, truncated end
    "5b 53 45 50 5d ff",  # "[SEP]" then 0xff
]

# Unicode blocks for random code points (start, end inclusive). Surrogates are never produced.
BLOCKS = [
    (0x0000, 0x001F), (0x0020, 0x007E), (0x007F, 0x009F), (0x00A0, 0x00FF), (0x0100, 0x024F),
    (0x0250, 0x02FF), (0x0300, 0x036F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x0530, 0x058F),
    (0x0590, 0x05FF), (0x0600, 0x06FF), (0x0900, 0x097F), (0x0980, 0x09FF), (0x0E00, 0x0E7F),
    (0x10A0, 0x10FF), (0x1100, 0x11FF), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2070, 0x209F),
    (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2150, 0x218F), (0x2190, 0x21FF), (0x2200, 0x22FF),
    (0x2460, 0x24FF), (0x2500, 0x257F), (0x2700, 0x27BF), (0x3000, 0x303F), (0x3040, 0x309F),
    (0x30A0, 0x30FF), (0x3300, 0x33FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF),
    (0xF900, 0xFAFF), (0xFB00, 0xFB4F), (0xFB50, 0xFDFF), (0xFE00, 0xFE0F), (0xFE30, 0xFE4F),
    (0xFE70, 0xFEFF), (0xFF00, 0xFFEF), (0xFFF0, 0xFFFF), (0x1D400, 0x1D7FF), (0x1F1E6, 0x1F1FF),
    (0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1F900, 0x1F9FF), (0x20000, 0x2A6DF),
    (0xE0000, 0xE007F), (0xE0100, 0xE01EF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD),
]

WORDS = ("the of and to in is that for it as with was on be by this are from at or an have not "
         "model token text sentence hello world running jumped quickly unbelievable tokenization "
         "DeBERTa SentencePiece Zürich naïve café résumé Straße ΟΔΟΣ İstanbul").split()
SNIPPETS = [t for _, t in HARD_TEXTS if t]
WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2003", "\u200b", "\ufeff", "\u0085", " \n "]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["…", "—", "«", "»", "¿", "、", "。", "·"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "🏳️‍🌈", "🤗", "☕", "1️⃣", "🧑🏿‍🚀"]
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u030a", "\u0303", "\u0323"]


def random_codepoints(rng, n):
    out = []
    while len(out) < n:
        lo, hi = rng.choice(BLOCKS)
        cp = rng.randint(lo, hi)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        out.append(chr(cp))
    return "".join(out)


def random_segment(rng):
    r = rng.random()
    if r < 0.28:
        w = rng.choice(WORDS)
        c = rng.random()
        return w.upper() if c < 0.15 else w.title() if c < 0.3 else w
    if r < 0.40:
        s = rng.choice(SNIPPETS)
        i = rng.randint(0, len(s))
        return s[i:i + rng.randint(1, 30)]
    if r < 0.52:
        return random_codepoints(rng, rng.randint(1, 6))
    if r < 0.64:
        return rng.choice(WHITESPACE) * rng.randint(1, 3)
    if r < 0.70:
        return rng.choice(SPECIAL_LITERALS)
    if r < 0.76:
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
    if r < 0.82:
        return str(rng.randint(0, 10 ** rng.randint(1, 12)))
    if r < 0.88:
        return "".join(rng.choice(PUNCT) for _ in range(rng.randint(1, 5)))
    if r < 0.94:
        return rng.choice("aeiouAEIOU") + "".join(rng.choice(COMBINING) for _ in range(rng.randint(1, 3)))
    return rng.choice(["ﬁ", "ＡＢＣ", "㎒", "x²", "Ⅻ", "①", "½", "ｶﾞ", "℃", "ﬃ"])


def random_text(rng, max_segments=24):
    """One random text; empty sometimes, very long (truncation) sometimes."""
    r = rng.random()
    if r < 0.03:
        return ""
    if r < 0.08:
        n = rng.randint(60, 200)
    else:
        n = rng.randint(1, max_segments)
    parts = []
    for _ in range(n):
        parts.append(random_segment(rng))
        if rng.random() < 0.6:
            parts.append(" ")
    return "".join(parts)


def random_cases(seed, n):
    """n random {text, text_pair, max_length} cases. max_length >= 3 so the oracle's result is
    always well defined (a single with max_length <= 2 is returned untruncated by transformers)."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        pair = rng.random() < 0.5
        ml = rng.choice([3, 4, 5, 6, 8, 11, 16, 24, 32, 64, 128, 512])
        cases.append({
            "text": random_text(rng),
            "text_pair": random_text(rng) if pair else None,
            "max_length": ml,
        })
    return cases
