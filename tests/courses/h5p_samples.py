"""Sample content for Passage's own H5P types, in English and Arabic (right-to-left), shared by
the unit tests and the browser tests. Each entry: kind, title, language, content.json params."""

from typing import Any

from courses.h5p_pack import Kind

SAMPLES: dict[str, tuple[Kind, str, str, dict[str, Any]]] = {
    "multichoice-en": (
        "multichoice",
        "Greetings",
        "en",
        {
            "question": "Which word is a greeting?",
            "answers": [
                {"text": "Hello", "correct": True, "feedback": "Yes: you say it when you meet someone."},
                {"text": "Table", "correct": False},
                {"text": "Blue", "correct": False},
            ],
        },
    ),
    "multichoice-many-en": (
        "multichoice",
        "Documents",
        "en",
        {
            "question": "Which of these prove who you are?",
            "answers": [
                {"text": "Passport", "correct": True},
                {"text": "Bus ticket", "correct": False},
                {"text": "National identity card", "correct": True},
            ],
        },
    ),
    "fillblanks-en": (
        "fillblanks",
        "At the doctor",
        "en",
        {
            "question": "Fill in the missing words.",
            "text": "I *have* a headache.\nMy appointment is at *ten/10* o'clock.",
        },
    ),
    "truefalse-en": (
        "truefalse",
        "Emergency number",
        "en",
        {"question": "In the European Union, 112 is the emergency number.", "correct": True},
    ),
    "multichoice-ar": (
        "multichoice",
        "التحية",
        "ar",
        {
            "question": "أي كلمة هي تحية؟",
            "answers": [
                {"text": "مرحبا", "correct": True},
                {"text": "طاولة", "correct": False},
                {"text": "أزرق", "correct": False},
            ],
            "l10n": {"check": "تحقق", "retry": "حاول مرة أخرى", "showSolution": "أظهر الحل"},
        },
    ),
    "fillblanks-ar": (
        "fillblanks",
        "عند الطبيب",
        "ar",
        {
            "question": "املأ الفراغ.",
            "text": "عندي *صداع* في رأسي.",
            "l10n": {"check": "تحقق", "retry": "حاول مرة أخرى", "showSolution": "أظهر الحل"},
        },
    ),
    "truefalse-ar": (
        "truefalse",
        "رقم الطوارئ",
        "ar",
        {
            "question": "رقم الطوارئ في الاتحاد الأوروبي هو 112.",
            "correct": True,
            "l10n": {"check": "تحقق", "trueText": "صحيح", "falseText": "خطأ"},
        },
    ),
}
