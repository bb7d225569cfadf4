"""Sentiment scoring for the NegativeSentiment signal: the offline lexicon scorer, Comprehend and Contact Lens."""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.journeys import sentiment
from shared.journeys.sentiment import (
    COMPREHEND_MAX_BYTES,
    LEXICON_ES,
    ComprehendScorer,
    LocalLexiconScorer,
    Sentiment,
    from_comprehend,
    from_contact_lens,
    is_negative,
    language_code,
    load_lexicon,
    parse_lexicon,
    truncate_utf8,
)

pytestmark = pytest.mark.unit

needs_vader = pytest.mark.skipif(
    importlib.util.find_spec("vaderSentiment") is None,
    reason="English needs vaderSentiment (requirements-dev.txt)",
)

SCORER = LocalLexiconScorer()

# A labelled sample. Anything that changes one of these verdicts is a change of behaviour: add sentences here
# when the lexicon changes.
LABELLED_ES = [
    ("Llevo tres semanas esperando mi licencia y nadie me contesta el teléfono.", "NEGATIVE"),
    ("Pésimo servicio, me trajeron de una ventanilla a otra toda la mañana.", "NEGATIVE"),
    ("Ya me cansé, es una burla que el sistema nunca funcione.", "NEGATIVE"),
    ("La página no sirve, no me deja pagar el predial.", "NEGATIVE"),
    ("El licenciado fue muy grosero y no me quiso atender.", "NEGATIVE"),
    ("Hay un bache enorme desde hace meses y nadie hace nada.", "NEGATIVE"),
    ("Me cobraron de más y no me dan razón de mi dinero.", "NEGATIVE"),
    ("ya llevo 2 horas en la fila y no avanza nada, q mal servicio", "NEGATIVE"),
    ("La app se traba cada rato y no guarda mis datos 😡", "NEGATIVE"),
    ("Buenas tardes, llevo semanas esperando. Gracias.", "NEGATIVE"),
    ("Muchas gracias, me atendieron muy rápido y fueron muy amables.", "POSITIVE"),
    ("Excelente atención, ya quedó mi trámite.", "POSITIVE"),
    ("Gracias por su ayuda, todo perfecto.", "POSITIVE"),
    ("Qué padre que ya se pueda sacar la cita en línea, súper fácil.", "POSITIVE"),
    ("Todo muy bien, gracias por la rapidez 👍", "POSITIVE"),
    ("No está mal el nuevo sistema.", "POSITIVE"),
    ("Quiero saber los requisitos para renovar mi licencia de conducir.", "NEUTRAL"),
    ("¿A qué hora abren la oficina de catastro el sábado?", "NEUTRAL"),
    ("Mi número de folio es 45-2231.", "NEUTRAL"),
]
LABELLED_EN = [
    ("I have been waiting three weeks and nobody answers the phone.", "NEGATIVE"),
    ("The website does not work and I can't pay my water bill.", "NEGATIVE"),
    ("This is a joke, I was put on hold for two hours and then they hung up.", "NEGATIVE"),
    ("Thank you so much, the clerk was very helpful and quick.", "POSITIVE"),
    ("Problem solved, great service!", "POSITIVE"),
    ("Not bad at all, the new portal is easy to use.", "POSITIVE"),
    ("What documents do I need to renew my license?", "NEUTRAL"),
]


def local(text: str, language: str | None = "es") -> Sentiment:
    result = SCORER.score(text, language)
    assert result is not None
    return result


class TestLocalSpanish:
    @pytest.mark.parametrize(("text", "label"), LABELLED_ES)
    def test_labelled_sample(self, text: str, label: str) -> None:
        result = local(text)
        assert result.label == label
        assert result.source == "local-lexicon"
        assert is_negative(result) is (label == "NEGATIVE")

    @pytest.mark.parametrize(
        "text",
        [
            "nadie me contesta",
            "no sirve la página",
            "llevo semanas esperando",
            "es una burla",
            "ya me cansé",
            "pésimo",
            "me trataron muy feo",
            "estoy hasta la madre de sus trámites",
        ],
    )
    def test_complaints_are_negative(self, text: str) -> None:
        assert is_negative(local(text))

    @pytest.mark.parametrize("text", ["gracias", "excelente", "muchas gracias, muy amables", "¡qué padre!"])
    def test_thanks_and_praise_are_positive(self, text: str) -> None:
        result = local(text)
        assert result.label == "POSITIVE"
        assert result.score > 0.35

    @pytest.mark.parametrize(
        ("negated", "plain"), [("no está mal", "mal"), ("nada mal", "mal"), ("no es bueno", "bueno")]
    )
    def test_negation_flips_and_weakens(self, negated: str, plain: str) -> None:
        flipped, original = local(negated).score, local(plain).score
        assert math.copysign(1, flipped) == -math.copysign(1, original)
        assert abs(flipped) < abs(original)

    def test_no_esta_mal_is_not_negative(self) -> None:
        result = local("no está mal")
        assert not is_negative(result)
        assert result.label == "POSITIVE"

    def test_negation_reaches_three_words_but_not_across_punctuation(self) -> None:
        assert local("no me parece que sea malo").score < 0  # "malo" is four words after "no"
        assert local("no es tan malo").score > 0
        assert local("no, es malo").score < 0

    def test_a_negative_expression_negates_what_follows(self) -> None:
        assert local("no me atendieron bien").score < local("no me atendieron").score

    def test_intensifiers_and_downtoners(self) -> None:
        scores = [local(text).score for text in ("un poco lento", "lento", "muy lento", "lentísimo", "bien lento")]
        assert scores[0] > scores[1] > scores[2]
        assert scores[3] == scores[2] == scores[4]

    def test_bien_is_its_own_word_unless_it_intensifies(self) -> None:
        assert local("me atendieron bien").label == "POSITIVE"
        assert local("muy bien atendido").label == "POSITIVE"
        assert local("la calle está bien oscura").label == "NEUTRAL"
        assert local("está bien feo").label == "NEGATIVE"

    def test_exclamation_and_capitals_add_emphasis(self) -> None:
        assert local("pésimo!!!").score < local("pésimo").score
        assert local("PÉSIMO servicio").score < local("pésimo servicio").score

    def test_accents_and_case_are_folded(self) -> None:
        assert local("PESIMO").score == local("pésimo").score == local("Pésimo").score
        assert local("NADIE ME CONTESTA").score == local("nadie me contesta").score

    def test_feminine_and_plural_forms_find_the_entry(self) -> None:
        assert local("unas groseras").score == local("un grosero").score < 0
        assert local("puras mentiras").score < 0

    def test_what_follows_pero_counts_more(self) -> None:
        assert local("amable pero lentísimo").score < 0 < local("lentísimo pero amable").score

    def test_closing_thanks_is_a_sign_off(self) -> None:
        assert local("Llevo semanas esperando. Gracias.").score < local("Llevo semanas esperando gracias").score
        assert local("Muchas gracias.").label == "POSITIVE"

    def test_emoji_and_emoticons(self) -> None:
        assert is_negative(local("😡😡"))
        assert local("gracias 🙏❤️").label == "POSITIVE"
        assert local(":(").score < 0 < local(":)").score

    @pytest.mark.parametrize(
        "text", ["Buenas tardes", "Buenos días, necesito ayuda con mi trámite", "bienes inmuebles"]
    )
    def test_greetings_and_requests_are_neutral(self, text: str) -> None:
        assert local(text).label == "NEUTRAL"

    @pytest.mark.parametrize("language", [None, "", "es", "ES", "es-MX", "es_MX"])
    def test_spanish_is_the_default_and_locales_are_accepted(self, language: str | None) -> None:
        assert is_negative(local("pésimo servicio", language))

    @pytest.mark.parametrize("text", ["", "   ", "\n\t"])
    def test_empty_text_is_none(self, text: str) -> None:
        assert SCORER.score(text, "es") is None
        assert SCORER.score(text, "en") is None

    @pytest.mark.parametrize("language", ["fr", "pt-BR", "zz"])
    def test_unsupported_language_is_none(self, language: str) -> None:
        assert SCORER.score("pésimo servicio", language) is None


@needs_vader
class TestLocalEnglish:
    @pytest.mark.parametrize(("text", "label"), LABELLED_EN)
    def test_labelled_sample(self, text: str, label: str) -> None:
        result = local(text, "en")
        assert result.label == label
        assert is_negative(result) is (label == "NEGATIVE")

    @pytest.mark.parametrize(
        "text",
        [
            "Nobody answers the phone and the website does not work.",
            "I'm sick and tired of being put on hold, this is a joke.",
            "Still waiting for my permit, what a waste of time.",
        ],
    )
    def test_complaints_are_negative(self, text: str) -> None:
        assert is_negative(local(text, "en-US"))

    def test_thanks_are_positive(self) -> None:
        assert local("Thanks a lot, problem solved!", "en").label == "POSITIVE"

    def test_negation(self) -> None:
        assert not is_negative(local("not bad", "en"))
        assert local("not bad", "en").score > 0

    def test_expressions_keep_vader_rules_around_them(self) -> None:
        # "a joke" is rated negative here (VADER alone rates "joke" positive), and capitals still emphasise it.
        assert local("this is a joke", "en").score < 0
        assert local("this is A JOKE", "en").score < local("this is a joke", "en").score

    def test_languages(self) -> None:
        assert SCORER.languages == frozenset({"es", "en"})


def test_english_without_vader_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment, "_english", lambda: None)
    assert LocalLexiconScorer().score("nobody answers", "en") is None
    assert LocalLexiconScorer().score("nadie contesta", "es") is not None


class TestLexicon:
    def test_the_shipped_lexicon_is_well_formed(self) -> None:
        lexicon = load_lexicon()
        entries = len(lexicon.words) + len(lexicon.expressions)
        assert 300 <= entries <= 600
        assert all(-4 <= v <= 4 for v in [*lexicon.words.values(), *lexicon.expressions.values()])
        assert {"pesimo", "gracias", "excelente"} <= lexicon.words.keys()
        assert ("nadie", "me", "contesta") in lexicon.expressions

    def test_no_term_is_listed_twice(self) -> None:
        terms = [
            sentiment.fold(line.partition("\t")[0])
            for line in LEXICON_ES.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert len(terms) == len(set(terms))

    @pytest.mark.parametrize("line", ["pésimo", "pésimo\tmuy", "pésimo\t-5", "\t-1"])
    def test_malformed_lines_are_refused(self, line: str) -> None:
        with pytest.raises(ValueError, match="test:2"):
            parse_lexicon(f"# header\n{line}\n", "test")

    def test_a_custom_lexicon(self) -> None:
        scorer = LocalLexiconScorer(parse_lexicon("chafa\t-3\nde lujo\t3\n"))
        assert is_negative(scorer.score("bien chafa", "es"))
        assert scorer.score("de lujo", "es") == Sentiment(label="POSITIVE", score=0.6124, source="local-lexicon")


class StubComprehend:
    """Records calls and answers like DetectSentiment (the shape boto3 returns)."""

    def __init__(self, sentiment: str = "NEGATIVE", **scores: float) -> None:
        self.calls: list[dict[str, str]] = []
        self.response: dict[str, Any] = {
            "Sentiment": sentiment,
            "SentimentScore": {"Positive": 0.0123, "Negative": 0.9412, "Neutral": 0.0398, "Mixed": 0.0067} | scores,
            "ResponseMetadata": {"RequestId": "6a7c1f2e-0b1d-4c49-9a63-2f1f0c9d8e11", "HTTPStatusCode": 200},
        }

    def detect_sentiment(self, Text: str, LanguageCode: str) -> dict[str, Any]:
        self.calls.append({"Text": Text, "LanguageCode": LanguageCode})
        return self.response


class TestComprehend:
    def test_maps_the_response(self) -> None:
        client = StubComprehend()
        result = ComprehendScorer(client).score("  Llevo semanas esperando y nadie me contesta.  ", None)
        assert result == Sentiment(label="NEGATIVE", score=-0.9289, source="comprehend")
        assert is_negative(result)
        assert client.calls == [{"Text": "Llevo semanas esperando y nadie me contesta.", "LanguageCode": "es"}]

    def test_positive_and_mixed(self) -> None:
        positive = StubComprehend("POSITIVE", Positive=0.9921, Negative=0.0011)
        assert ComprehendScorer(positive).score("Muchas gracias", "es") == Sentiment(
            label="POSITIVE", score=0.991, source="comprehend"
        )
        mixed = StubComprehend("MIXED", Positive=0.31, Negative=0.35, Mixed=0.33)
        result = ComprehendScorer(mixed).score("Amables pero lentísimos", "es")
        assert result is not None
        assert (result.label, result.score, is_negative(result)) == ("MIXED", -0.04, False)

    @pytest.mark.parametrize(("language", "code"), [("en", "en"), ("en-US", "en"), ("ES", "es"), ("es_MX", "es")])
    def test_language_codes(self, language: str, code: str) -> None:
        client = StubComprehend()
        ComprehendScorer(client).score("text", language)
        assert client.calls[0]["LanguageCode"] == code

    @pytest.mark.parametrize(("text", "language"), [("", "es"), ("   ", None), ("bonjour", "fr"), ("olá", "pt")])
    def test_no_call_for_empty_text_or_unsupported_language(self, text: str, language: str | None) -> None:
        client = StubComprehend()
        assert ComprehendScorer(client).score(text, language) is None
        assert client.calls == []

    def test_long_text_is_cut_to_the_byte_limit_on_a_character_boundary(self) -> None:
        text = "ñ" * 2600 + "😡" * 10  # 5,200 bytes of two-byte characters first, then four-byte ones
        client = StubComprehend()
        ComprehendScorer(client).score(text, "es")
        sent = client.calls[0]["Text"]
        assert len(sent.encode("utf-8")) == COMPREHEND_MAX_BYTES
        assert sent == "ñ" * 2500

    def test_four_byte_characters_are_never_split(self) -> None:
        sent = truncate_utf8("a" + "😡" * 2000, COMPREHEND_MAX_BYTES)
        assert sent == "a" + "😡" * 1249
        assert len(sent.encode("utf-8")) == 4997

    def test_unknown_label_falls_back_to_the_highest_confidence(self) -> None:
        response = {"SentimentScore": {"Positive": 0.1, "Negative": 0.2, "Neutral": 0.6, "Mixed": 0.1}}
        assert from_comprehend(response) == Sentiment(label="NEUTRAL", score=-0.1, source="comprehend")

    def test_client_errors_propagate(self) -> None:
        class Throttled:
            def detect_sentiment(self, Text: str, LanguageCode: str) -> dict[str, Any]:
                raise RuntimeError("ThrottlingException")

        with pytest.raises(RuntimeError, match="Throttling"):
            ComprehendScorer(Throttled()).score("texto", "es")


class TestContactLens:
    @pytest.mark.parametrize(
        ("label", "score", "expected"),
        [
            ("NEGATIVE", -3.2, ("NEGATIVE", -0.64)),
            (None, -3.2, ("NEGATIVE", -0.64)),
            (None, 4.6, ("POSITIVE", 0.92)),
            (None, 0.5, ("NEUTRAL", 0.1)),
            (None, -1.0, ("NEGATIVE", -0.2)),
            ("mixed", -1.6, ("MIXED", -0.32)),
            (None, -7.0, ("NEGATIVE", -1.0)),
            ("NEGATIVE", None, ("NEGATIVE", -0.6)),
            ("positive", None, ("POSITIVE", 0.6)),
            ("NEUTRAL", float("nan"), ("NEUTRAL", 0.0)),
        ],
    )
    def test_mapping(self, label: str | None, score: float | None, expected: tuple[str, float]) -> None:
        result = from_contact_lens(label, score)
        assert result is not None
        assert (result.label, result.score, result.source) == (*expected, "contact-lens")

    @pytest.mark.parametrize(("label", "score"), [(None, None), ("", None), ("ANGRY", None), (None, float("inf"))])
    def test_nothing_usable_is_none(self, label: str | None, score: float | None) -> None:
        assert from_contact_lens(label, score) is None

    def test_a_negative_label_alone_raises_the_signal(self) -> None:
        assert is_negative(from_contact_lens("NEGATIVE", None))
        assert not is_negative(from_contact_lens("NEUTRAL", None))


class TestModelAndSignal:
    def test_is_negative_threshold(self) -> None:
        at = Sentiment(label="NEGATIVE", score=-0.35, source="comprehend")
        above = Sentiment(label="NEGATIVE", score=-0.3499, source="comprehend")
        assert is_negative(at)
        assert not is_negative(above)
        assert is_negative(above, threshold=-0.2)
        assert not is_negative(None)

    @pytest.mark.parametrize(
        "fields",
        [
            {"label": "ANGRY", "score": 0.0, "source": "comprehend"},
            {"label": "NEGATIVE", "score": -1.01, "source": "comprehend"},
            {"label": "NEGATIVE", "score": float("nan"), "source": "comprehend"},
            {"label": "NEGATIVE", "score": -0.5, "source": "a-guess"},
        ],
    )
    def test_invalid_sentiments_are_refused(self, fields: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            Sentiment(**fields)

    def test_frozen(self) -> None:
        result = Sentiment(label="NEUTRAL", score=0.0, source="local-lexicon")
        with pytest.raises(ValidationError):
            result.score = -1.0  # type: ignore[misc]

    @pytest.mark.parametrize(("language", "code"), [(None, "es"), (" en ", "en"), ("EN-gb", "en"), ("de", None)])
    def test_language_code(self, language: str | None, code: str | None) -> None:
        assert language_code(language) == code


# Text built from the lexicon's own terms, the grammar words and punctuation reaches every rule; plain text
# (any Unicode) checks that nothing raises.
_VOCABULARY = sorted(
    {*load_lexicon().words, *(" ".join(key) for key in load_lexicon().expressions)}
    | {"no", "nunca", "nadie", "ni", "sin", "poco", "un poco", "muy", "bien", "medio", "súper", "pero"}
    | {"PÉSIMO", "GRACIAS", "not", "very", "but", "a joke", "¿", "?", "!", ",", ".", "😡", "👍", ":)", "ñ", "İ"}
)
_LANGUAGES = st.sampled_from([None, "es", "en", "es-MX", "en-US", "fr"])


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(), st.lists(st.sampled_from(_VOCABULARY), max_size=40).map(" ".join)), language=_LANGUAGES
)
def test_local_scores_stay_within_bounds(text: str, language: str | None) -> None:
    result = SCORER.score(text, language)
    if result is None:
        assert not text.strip() or language_code(language) is None
    else:
        assert -1.0 <= result.score <= 1.0
        assert result.label in ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED")
        assert result.label != "NEUTRAL" or abs(result.score) < 0.2


@settings(max_examples=200, deadline=None)
@given(text=st.text(), limit=st.integers(min_value=0, max_value=64))
def test_truncation_is_the_longest_valid_prefix(text: str, limit: int) -> None:
    cut = truncate_utf8(text, limit)
    assert len(cut.encode("utf-8")) <= limit
    assert text.startswith(cut)
    rest = text[len(cut) :]
    assert not rest or len((cut + rest[0]).encode("utf-8")) > limit


@settings(max_examples=200, deadline=None)
@given(positive=st.floats(0, 1), negative=st.floats(0, 1), label=st.sampled_from(["POSITIVE", "NEGATIVE", "X", ""]))
def test_comprehend_scores_stay_within_bounds(positive: float, negative: float, label: str) -> None:
    result = from_comprehend({"Sentiment": label, "SentimentScore": {"Positive": positive, "Negative": negative}})
    assert -1.0 <= result.score <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    score=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), label=st.one_of(st.none(), st.text())
)
def test_contact_lens_never_raises(score: float | None, label: str | None) -> None:
    result = from_contact_lens(label, score)
    assert result is None or -1.0 <= result.score <= 1.0
