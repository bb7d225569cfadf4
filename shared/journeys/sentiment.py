"""How a citizen feels in a contact, for the `NegativeSentiment` journey signal: one port, three sources.

- `ComprehendScorer`: Amazon Comprehend `DetectSentiment` (Spanish or English) in AWS. The score is
  Positive - Negative of Comprehend's confidences; the label is Comprehend's.
- `LocalLexiconScorer`: offline, for the embedded runtime and the tests, where the emulator (moto) answers
  Comprehend with canned data. Spanish: the lexicon `lexicon_es.tsv` beside this module, scored the VADER way
  (see the class). English: the `vaderSentiment` package (a development dependency, not in the Lambda layer)
  plus a few service-complaint expressions it does not know.
- `from_contact_lens`: the customer's overall sentiment that Contact Lens already computed for a call
  (-5..+5, or only a label), as the phone channel stores it on the touchpoint.

A `Sentiment` is a label (POSITIVE, NEGATIVE, NEUTRAL, MIXED), a score in [-1, 1] where negative is bad, and its
source. `is_negative` is the signal's test: a score at or below the threshold (-0.35 by default).

Pure apart from the Comprehend call. Nothing here logs or keeps the text.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

SentimentLabel = Literal["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"]
SentimentSource = Literal["contact-lens", "comprehend", "local-lexicon"]

LABELS: Final[dict[str, SentimentLabel]] = {
    "POSITIVE": "POSITIVE",
    "NEGATIVE": "NEGATIVE",
    "NEUTRAL": "NEUTRAL",
    "MIXED": "MIXED",
}
NEGATIVE_THRESHOLD: Final = -0.35
SUPPORTED_LANGUAGES: Final = frozenset({"es", "en"})
DEFAULT_LANGUAGE: Final = "es"
# DetectSentiment accepts at most 5,000 bytes of UTF-8 text.
COMPREHEND_MAX_BYTES: Final = 5000
# Contact Lens scores run from -5 to +5; the phone channel (functions/phone/connect.py) reads |score| < 1 as
# NEUTRAL, which is the same band as NEUTRAL_BAND on the [-1, 1] scale.
CONTACT_LENS_SCALE: Final = 5.0
# A Contact Lens label without a score: the middle of the band that label covers on the -5..+5 scale
# (NEGATIVE is -5..-1, so -3 -> -0.6), so a NEGATIVE label alone is negative enough for the signal.
CONTACT_LENS_LABEL_SCORES: Final[dict[SentimentLabel, float]] = {
    "POSITIVE": 0.6,
    "NEGATIVE": -0.6,
    "NEUTRAL": 0.0,
    "MIXED": 0.0,
}
# Labels of the scores computed here: |score| < NEUTRAL_BAND is NEUTRAL; MIXED when both sides of the evidence
# (VADER's shares of the text, `pos` and `neg`) reach MIXED_MIN_SHARE, the weaker is at least MIXED_RATIO of the
# stronger, and the score stays under MIXED_CEILING.
NEUTRAL_BAND: Final = 0.2
MIXED_MIN_SHARE: Final = 0.15
MIXED_RATIO: Final = 0.5
MIXED_CEILING: Final = 0.5
LEXICON_ES: Final = Path(__file__).with_name("lexicon_es.tsv")


class Sentiment(BaseModel):
    """A contact's sentiment: score in [-1, 1], negative is bad."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0, allow_inf_nan=False)
    source: SentimentSource


class SentimentScorer(Protocol):
    def score(self, text: str, language: str | None) -> Sentiment | None:
        """The sentiment of `text`; None for empty text or a language the scorer does not support."""
        ...


def is_negative(sentiment: Sentiment | None, threshold: float = NEGATIVE_THRESHOLD) -> bool:
    """The `NegativeSentiment` test: a score at or below `threshold`. No sentiment is not negative."""
    return sentiment is not None and sentiment.score <= threshold


def language_code(language: str | None) -> str | None:
    """The primary language subtag: "es-MX", "es_MX", "ES" -> "es"; None or blank -> "es"; unsupported -> None."""
    if language is None or not language.strip():
        return DEFAULT_LANGUAGE
    primary = re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else None


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `max_bytes`, never cutting a character.

    Lone surrogates (which UTF-8 cannot encode) become "?".
    """
    encoded = text.encode("utf-8", errors="replace")
    if len(encoded) <= max_bytes:
        return encoded.decode("utf-8")
    # The cut can only break the last character; "ignore" drops that incomplete tail and nothing else.
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _clamp(score: float) -> float:
    return min(1.0, max(-1.0, score))


def _label_for(score: float, positive: float = 0.0, negative: float = 0.0) -> SentimentLabel:
    """Label of a score; `positive` and `negative` are the shares of the text on each side (0..1), if known."""
    stronger, weaker = max(positive, negative), min(positive, negative)
    if weaker >= MIXED_MIN_SHARE and weaker / stronger >= MIXED_RATIO and abs(score) < MIXED_CEILING:
        return "MIXED"
    if score >= NEUTRAL_BAND:
        return "POSITIVE"
    if score <= -NEUTRAL_BAND:
        return "NEGATIVE"
    return "NEUTRAL"


# --- Contact Lens -----------------------------------------------------------------------------------------------


def from_contact_lens(label: str | None, score: float | None) -> Sentiment | None:
    """Contact Lens customer sentiment (score -5..+5 and/or label) as a Sentiment; None when neither is usable.

    The score is divided by 5 (and clamped). A valid label is kept; without one it follows from the score
    (|score| < 1 is NEUTRAL, as the phone channel reads it). A label alone gets the nominal score of
    CONTACT_LENS_LABEL_SCORES.
    """
    known = LABELS.get(label.strip().upper()) if label else None
    if score is not None and math.isfinite(score):
        value = _clamp(round(score / CONTACT_LENS_SCALE, 4))
        return Sentiment(label=known or _label_for(value), score=value, source="contact-lens")
    if known is None:
        return None
    return Sentiment(label=known, score=CONTACT_LENS_LABEL_SCORES[known], source="contact-lens")


# --- Amazon Comprehend ------------------------------------------------------------------------------------------


class ComprehendClient(Protocol):
    """The part of a boto3 `comprehend` client the scorer uses."""

    def detect_sentiment(self, *, Text: str, LanguageCode: str) -> Mapping[str, Any]: ...


def _confidence(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0


def from_comprehend(response: Mapping[str, Any]) -> Sentiment:
    """A DetectSentiment response as a Sentiment: score = Positive - Negative, label = Comprehend's.

    A response without a known label gets the label of its highest confidence.
    """
    scores = response.get("SentimentScore") or {}
    confidences = {name: _confidence(scores.get(name.title())) for name in LABELS}
    label = LABELS.get(str(response.get("Sentiment", "")).upper())
    if label is None:
        label = LABELS[max(confidences, key=lambda name: confidences[name])]
    score = _clamp(round(confidences["POSITIVE"] - confidences["NEGATIVE"], 4))
    return Sentiment(label=label, score=score, source="comprehend")


class ComprehendScorer:
    """Amazon Comprehend DetectSentiment, Spanish or English (the default is Spanish).

    The text is cut to Comprehend's 5,000-byte limit on a character boundary. Client errors (throttling,
    access) are not caught: the caller's retry policy decides.
    """

    def __init__(self, client: ComprehendClient) -> None:
        self._client = client

    def score(self, text: str, language: str | None) -> Sentiment | None:
        code = language_code(language)
        stripped = text.strip()
        if code is None or not stripped:
            return None
        response = self._client.detect_sentiment(Text=truncate_utf8(stripped, COMPREHEND_MAX_BYTES), LanguageCode=code)
        return from_comprehend(response)


# --- The offline scorer -----------------------------------------------------------------------------------------

# The constants of VADER (Hutto & Gilbert, 2014), so Spanish scores read like the English ones.
B_INCR: Final = 0.293  # an intensifier ("muy") adds this much to the magnitude of the next valence
B_DECR: Final = -0.293  # a downtoner ("un poco") takes it away
C_INCR: Final = 0.733  # a word in CAPITALS among words that are not
N_SCALAR: Final = -0.74  # a negated valence flips and weakens: "no está mal" is mildly positive
NEGATION_REACH: Final = 3  # a negation or an intensifier acts on the next three words
BOOSTER_DECAY: Final = (1.0, 0.95, 0.9)  # an intensifier's effect, one, two or three words before
CONTRAST_BEFORE: Final = 0.5  # "bien, pero lentísimo": what comes after "pero" counts three times as much
CONTRAST_AFTER: Final = 1.5
EXCLAMATION: Final = 0.292  # each "!" (up to four) adds this much in the direction of the sum
EXCLAMATION_MAX: Final = 4
QUESTION: Final = 0.18  # two or three "?" add this much each; more add QUESTION_MAX
QUESTION_MAX: Final = 0.96
ALPHA: Final = 15.0  # score = sum / sqrt(sum² + ALPHA), in (-1, 1)

# Spanish grammar the lexicon does not carry. Negations flip the next three words (once, however many there are:
# Spanish doubles them, "no me ayudó nadie"); "poco" alone is a negation ("poco amable"), "un poco" a downtoner.
NEGATIONS_ES: Final = frozenset(
    {"no", "nunca", "jamas", "tampoco", "ni", "nadie", "nada", "ningun", "ninguna", "ninguno", "sin", "cero", "poco"}
)
INTENSIFIERS_ES: Final[dict[tuple[str, ...], float]] = {
    ("muy",): B_INCR,
    ("super",): B_INCR,
    ("demasiado",): B_INCR,
    ("bastante",): B_INCR,
    ("tan",): B_INCR,
    ("sumamente",): B_INCR,
    ("extremadamente",): B_INCR,
    ("totalmente",): B_INCR,
    ("completamente",): B_INCR,
    ("realmente",): B_INCR,
    ("verdaderamente",): B_INCR,
    ("de", "plano"): B_INCR,
    ("un", "poco"): B_DECR,
    ("algo",): B_DECR,
}
# Intensifiers only before a word that has a valence ("bien feo", "medio lento"); otherwise "bien" is its own
# positive word and "medio" nothing. Mexican Spanish also uses "bien" for "muy" before any adjective ("bien
# oscura"), so "bien" before an unrated word is an intensifier too, unless that word is a participle ("bien
# atendido": well served) or one of WEAK_WORDS_ES ("salió bien y rápido").
CONDITIONAL_INTENSIFIERS_ES: Final[dict[str, float]] = {"bien": B_INCR, "medio": B_DECR}
WEAK_WORDS_ES: Final = frozenset(
    {
        "y", "e", "o", "u", "pero", "que", "porque", "como", "con", "en", "a", "al", "de", "del", "por", "para",
        "el", "la", "los", "las", "lo", "un", "una", "me", "te", "se", "nos", "le", "les", "mi", "su", "sus",
        "todo", "toda", "todos", "todas", "ya", "hoy", "ahora", "aqui", "ahi", "gracias",
    }
)  # fmt: skip
_PARTICIPLE: Final = re.compile(r"\w+(?:ad|id)[oa]s?")
CONTRASTS_ES: Final = frozenset({("pero",), ("sin", "embargo")})
# Thanks that close a message which says something else first ("llevo semanas esperando. Gracias.") are a
# sign-off, not praise: they count SIGN_OFF times.
THANKS_ES: Final = frozenset(
    {
        ("gracias",),
        ("muchas", "gracias"),
        ("mil", "gracias"),
        ("muchisimas", "gracias"),
        ("gracias", "de", "antemano"),
        ("agradezco",),
        ("le", "agradezco"),
        ("se", "lo", "agradezco"),
        ("se", "los", "agradezco"),
    }
)
SIGN_OFF: Final = 0.5
# Punctuation ends the reach of a negation or an intensifier.
_BARRIERS: Final = frozenset({".", ",", ";", ":", "!", "?", "¡", "¿", "...", "(", ")"})
# Emoticons, words, then any other single symbol (punctuation, emoji; "_" and spaces are dropped).
_TOKEN: Final = re.compile(r"[:;]'?-?[()]|:-?D\b|[^\W_]+|[^\w\s]")
_EXPRESSION_MAX_WORDS: Final = 8

# English: VADER's lexicon lacks the set phrases of a service complaint and rates "joke" as positive. Each
# expression becomes one placeholder word with this valence before VADER reads the text, so VADER's own rules
# (negation, intensifiers, "but", capitals) still apply around it.
EXPRESSIONS_EN: Final[dict[str, float]] = {
    "no one answers": -2.5,
    "no one answered": -2.5,
    "no one responds": -2.5,
    "no one responded": -2.5,
    "no one picks up": -2.5,
    "nobody answers": -2.5,
    "nobody answered": -2.5,
    "nobody responds": -2.5,
    "nobody responded": -2.5,
    "nobody picks up": -2.5,
    "nobody helps": -2.5,
    "no response": -2.0,
    "no answer": -2.0,
    "no reply": -2.0,
    "no update": -1.5,
    "never answered": -2.3,
    "never responded": -2.3,
    "never replied": -2.3,
    "never heard back": -2.3,
    "never called back": -2.5,
    "never called me back": -2.5,
    "never got a response": -2.5,
    "never received": -2.0,
    "never arrived": -2.0,
    "still waiting": -2.0,
    "still haven't": -1.8,
    "still hasn't": -1.8,
    "been waiting": -1.8,
    "waiting for weeks": -2.3,
    "waiting for months": -2.5,
    "waiting for hours": -2.0,
    "does not work": -2.0,
    "doesn't work": -2.0,
    "did not work": -2.0,
    "didn't work": -2.0,
    "not working": -2.0,
    "stopped working": -2.0,
    "won't load": -1.8,
    "doesn't load": -1.8,
    "keeps crashing": -2.3,
    "put on hold": -1.5,
    "on hold": -1.3,
    "hung up on me": -2.5,
    "hung up": -1.8,
    "the runaround": -2.0,
    "waste of time": -2.5,
    "wasted my time": -2.5,
    "fed up": -2.5,
    "sick and tired": -2.8,
    "had enough": -2.0,
    "a joke": -2.3,
    "charged twice": -2.3,
    "problem solved": 2.0,
    "issue resolved": 2.0,
    "works now": 1.8,
    "working now": 1.8,
    "sorted out": 1.5,
    "all good": 1.8,
}
WORDS_EN: Final[dict[str, float]] = {
    "unhelpful": -1.9,
    "unresponsive": -1.8,
    "unanswered": -1.5,
    "slow": -1.3,
    "nightmare": -2.6,
    "overcharged": -2.0,
    "disconnected": -1.5,
}


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A parsed lexicon: single folded words and multi-word expressions (tuples of folded words)."""

    words: dict[str, float]
    expressions: dict[tuple[str, ...], float]


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    folded: str


@dataclass(slots=True)
class _Item:
    """A word or an expression of the text: what it is, its value, and the tokens it spans."""

    kind: Literal["valence", "negation", "intensifier", "contrast", "barrier", "other"]
    value: float
    start: int
    end: int
    caps: bool = False
    conditional: float | None = None  # the intensifier it becomes before a word with a valence
    negating: bool = False  # a negative expression that starts with a negation also negates what follows


def fold(text: str) -> str:
    """Accents, case and combining marks removed: "PÉSIMO" -> "pesimo", "Año" -> "ano"."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        folded = fold(match.group())
        if folded:  # a lone combining mark or variation selector folds to nothing
            tokens.append(_Token(match.group(), folded))
    return tokens


def parse_lexicon(text: str, name: str = "lexicon") -> Lexicon:
    """`term<TAB>valence` lines (# comments and blank lines skipped) -> Lexicon. Raises ValueError if malformed."""
    words: dict[str, float] = {}
    expressions: dict[tuple[str, ...], float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        term, _, raw = line.partition("\t")
        try:
            valence = float(raw)
        except ValueError:
            raise ValueError(f"{name}:{number}: expected term<TAB>valence") from None
        if not -4.0 <= valence <= 4.0:
            raise ValueError(f"{name}:{number}: valence {valence} outside -4..4")
        key = tuple(token.folded for token in _tokens(term))
        if not key or len(key) > _EXPRESSION_MAX_WORDS:
            raise ValueError(f"{name}:{number}: a term has 1 to {_EXPRESSION_MAX_WORDS} words")
        if len(key) == 1:
            words[key[0]] = valence
        else:
            expressions[key] = valence
    return Lexicon(words=words, expressions=expressions)


@cache
def load_lexicon(path: Path = LEXICON_ES) -> Lexicon:
    return parse_lexicon(path.read_text(encoding="utf-8"), path.name)


_SUPERLATIVE: Final = re.compile(r"(\w{2,}?)(?:isim[oa]s?)")


def _word_valence(words: Mapping[str, float], word: str) -> float | None:
    """A word's valence, also through its feminine/plural form or its -ísimo superlative (stronger)."""
    if word in words:
        return words[word]
    if len(word) < 4:
        return None
    superlative = _SUPERLATIVE.fullmatch(word)
    if superlative:
        stem = superlative.group(1)
        for base in (stem + "o", stem + "e", stem):
            if base in words:
                return words[base] + math.copysign(B_INCR, words[base])
    singulars = [word[:-2], word[:-1]] if word.endswith("es") else [word[:-1]] if word.endswith("s") else []
    for candidate in [*singulars, *(form[:-1] + "o" for form in [word, *singulars] if form.endswith("a"))]:
        if candidate in words:
            return words[candidate]
    return None


def _segment(tokens: list[_Token], lexicon: Lexicon) -> list[_Item]:
    """Tokens -> items, longest expression first (grammar before lexicon), then single words."""
    folded = [token.folded for token in tokens]
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        item = None
        for size in range(min(_EXPRESSION_MAX_WORDS, len(tokens) - i), 0, -1):
            key = tuple(folded[i : i + size])
            item = _grammar_item(key, i) or _lexicon_item(key, i, lexicon)
            if item is not None:
                break
        if item is None:
            item = _Item("other", 0.0, i, i + 1, conditional=CONDITIONAL_INTENSIFIERS_ES.get(folded[i]))
        item.caps = all(t.text.isupper() and len(t.text) > 1 for t in tokens[item.start : item.end])
        items.append(item)
        i = item.end
    # "bien" and "medio" intensify a word with a valence right after them; otherwise "bien" keeps its own.
    for item, following in itertools.pairwise(items):
        if item.conditional is None:
            continue
        if (following.kind == "valence" and following.value) or (
            folded[item.start] == "bien" and _plain_adjective(following, folded[following.start])
        ):
            item.kind, item.value = "intensifier", item.conditional
    return items


def _plain_adjective(item: _Item, word: str) -> bool:
    """Could `word` be an unrated adjective that "bien" intensifies? (Not a participle, not a weak word.)"""
    return (
        item.kind == "other"
        and item.end - item.start == 1
        and word.isalpha()
        and word not in WEAK_WORDS_ES
        and not _PARTICIPLE.fullmatch(word)
    )


def _grammar_item(key: tuple[str, ...], start: int) -> _Item | None:
    end = start + len(key)
    if key in CONTRASTS_ES:
        return _Item("contrast", 0.0, start, end)
    if key in INTENSIFIERS_ES:
        return _Item("intensifier", INTENSIFIERS_ES[key], start, end)
    if len(key) == 1 and key[0] in _BARRIERS:
        return _Item("barrier", 0.0, start, end)
    if len(key) == 1 and key[0] in NEGATIONS_ES:
        return _Item("negation", 0.0, start, end)
    return None


def _lexicon_item(key: tuple[str, ...], start: int, lexicon: Lexicon) -> _Item | None:
    end = start + len(key)
    if len(key) > 1:
        valence = lexicon.expressions.get(key)
        if valence is None:
            return None
        return _Item("valence", valence, start, end, negating=valence < 0 and key[0] in NEGATIONS_ES)
    word_valence = _word_valence(lexicon.words, key[0])
    if word_valence is None:
        return None
    return _Item("valence", word_valence, start, end, conditional=CONDITIONAL_INTENSIFIERS_ES.get(key[0]))


@dataclass(frozen=True, slots=True)
class _Valences:
    """A compound score in [-1, 1] and VADER's shares of the text that are positive and negative (0..1)."""

    score: float
    positive: float
    negative: float


def score_spanish(text: str, lexicon: Lexicon) -> _Valences:
    """VADER's procedure over the Spanish lexicon: valences adjusted by the words before them, then summed."""
    tokens = _tokens(text)
    items = _segment(tokens, lexicon)
    word_caps = [t.text.isupper() for t in tokens if t.folded.isalpha() and len(t.text) > 1]
    shouting_some = any(word_caps) and not all(word_caps)

    negates = [False] * len(tokens)
    boost = [0.0] * len(tokens)
    barrier = [False] * len(tokens)
    for item in items:
        if item.kind == "negation" or item.negating:
            negates[item.start] = True
        elif item.kind == "intensifier":
            boost[item.end - 1] = item.value
        elif item.kind in ("barrier", "contrast"):
            barrier[item.start : item.end] = [True] * (item.end - item.start)

    contrast = next((item.start for item in items if item.kind == "contrast"), None)
    rated = [item for item in items if item.kind == "valence" and item.value]
    sign_off = _sign_off(rated, [token.folded for token in tokens], barrier)
    valences: list[float] = []
    for item in rated:
        valence = item.value
        if item.caps and shouting_some:
            valence += math.copysign(C_INCR, valence)
        negated = False
        for distance in range(1, NEGATION_REACH + 1):
            before = item.start - distance
            if before < 0 or barrier[before]:
                break
            if boost[before]:  # towards the valence's sign for an intensifier, away from it for a downtoner
                valence += math.copysign(1.0, valence) * boost[before] * BOOSTER_DECAY[distance - 1]
            negated = negated or negates[before]
        if negated:
            valence *= N_SCALAR
        if contrast is not None:
            valence *= CONTRAST_BEFORE if item.end <= contrast else CONTRAST_AFTER
        if item is sign_off:
            valence *= SIGN_OFF
        valences.append(valence)

    total = math.fsum(valences)
    if total:
        total += math.copysign(_punctuation_emphasis(text), total)
    score = _clamp(total / math.sqrt(total * total + ALPHA))
    # Shares as VADER computes them: each rated word weighs |valence| + 1, each other word 1.
    positive = math.fsum(v + 1 for v in valences if v > 0)
    negative = math.fsum(1 - v for v in valences if v < 0)
    neutral = sum(1 for item in items if item.kind != "barrier") - len(valences)
    whole = positive + negative + neutral
    return _Valences(score, positive / whole, negative / whole) if whole else _Valences(score, 0.0, 0.0)


def _sign_off(rated: list[_Item], folded: list[str], barrier: list[bool]) -> _Item | None:
    """The closing thanks, when the last rated item is thanks after punctuation that ends something else."""
    if len(rated) < 2 or tuple(folded[rated[-1].start : rated[-1].end]) not in THANKS_ES:
        return None
    return rated[-1] if any(barrier[rated[-2].end : rated[-1].start]) else None


def _punctuation_emphasis(text: str) -> float:
    exclamations = min(text.count("!"), EXCLAMATION_MAX) * EXCLAMATION
    questions = text.count("?")
    if questions <= 1:
        return exclamations
    return exclamations + (questions * QUESTION if questions <= 3 else QUESTION_MAX)


class _English:
    """vaderSentiment's analyser with EXPRESSIONS_EN and WORDS_EN added to its lexicon."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self._analyzer.lexicon.update(WORDS_EN)
        self._placeholders: dict[str, str] = {}
        for number, (expression, valence) in enumerate(EXPRESSIONS_EN.items()):
            placeholder = f"ventanillaexpr{number}"
            self._analyzer.lexicon[placeholder] = valence
            self._placeholders[expression] = placeholder
        longest_first = sorted(EXPRESSIONS_EN, key=len, reverse=True)
        alternatives = "|".join(re.escape(e).replace(r"\ ", r"\s+") for e in longest_first)
        self._expressions = re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])", re.IGNORECASE)

    def _placeholder(self, match: re.Match[str]) -> str:
        placeholder = self._placeholders[" ".join(match.group().lower().split())]
        return f" {placeholder.upper() if match.group().isupper() else placeholder} "

    def score(self, text: str) -> _Valences:
        marked = self._expressions.sub(self._placeholder, text.replace("\u2019", "'"))
        scores = self._analyzer.polarity_scores(marked)
        return _Valences(_clamp(float(scores["compound"])), float(scores["pos"]), float(scores["neg"]))


@cache
def _english() -> _English | None:
    if importlib.util.find_spec("vaderSentiment") is None:
        return None
    return _English()


class LocalLexiconScorer:
    """Offline sentiment: Spanish with `lexicon_es.tsv`, English with vaderSentiment (when it is installed).

    Spanish follows VADER (Hutto & Gilbert, 2014) with the lexicon's valences (-4..+4): the text is split
    into words, expressions matched longest first, accents and case folded. Each valence is then adjusted
    by the three words before it (never across punctuation): an intensifier ("muy", "súper", "demasiado",
    "bien" before a rated word) adds 0.293 to its magnitude, a downtoner ("un poco", "algo", "medio") takes
    it away; a negation ("no", "nunca", "jamás", "tampoco", "ni", "nadie", "nada", "ningún", "sin", "cero",
    "poco") flips it and scales it by 0.74. A rated word in CAPITALS among words that are not gains 0.733. After
    "pero" or "sin embargo" valences count 1.5 times, before it 0.5 times. Thanks that close a message after
    something else has been said count half (a sign-off, not praise). The sum gains 0.292 per "!" (up to
    four) and 0.18 per "?" when there are two or three (0.96 for more), then becomes sum / sqrt(sum² + 15).

    Unknown words count for nothing, so a text without rated words is NEUTRAL with score 0.
    """

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self._lexicon = lexicon if lexicon is not None else load_lexicon()

    @property
    def languages(self) -> frozenset[str]:
        """Languages this scorer answers for: always "es", and "en" when vaderSentiment is installed."""
        return SUPPORTED_LANGUAGES if importlib.util.find_spec("vaderSentiment") else frozenset({"es"})

    def score(self, text: str, language: str | None) -> Sentiment | None:
        code = language_code(language)
        if code is None or not text.strip():
            return None
        if code == "en":
            english = _english()
            if english is None:
                return None
            valences = english.score(text)
        else:
            valences = score_spanish(text, self._lexicon)
        score = _clamp(round(valences.score, 4))
        return Sentiment(
            label=_label_for(score, valences.positive, valences.negative), score=score, source="local-lexicon"
        )
