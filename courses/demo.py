"""Demo courses for `manage.py seed_demo` (idempotent): three real courses in English, Arabic and
Persian, with exercises made from Passage's own H5P content types (packed by `courses.h5p_pack`
and uploaded through the same check as an author's package), and demo learners with progress
recorded through the learning-records services, so that roll-ups and certificates are real."""

import io
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Role, User
from courses.h5p_pack import demo_package
from courses.models import Category, Course, Enrolment, Lesson, Level, Module
from courses.services import h5p_content_upload
from courses.services import progress as records

AUTHOR = "author@demo.test"

# A lesson: ("text", title, minutes, markdown) or ("h5p", title, minutes, (kind, params), pass score).
COURSES: list[dict[str, Any]] = [
    {
        "slug": "german-a1-first-steps",
        "title": "German A1 — first steps",
        "summary": "Say hello, count, and make an appointment at the doctor's in German. "
        "Short lessons with exercises you can do on your phone, also offline.",
        "language": "en",
        "language_taught": "de",
        "level": Level.A1,
        "category": Category.LANGUAGE,
        "audience": "Newcomers in Germany and Austria who are starting German",
        "estimated_hours": 4,
        "modules": [
            (
                "Hello and goodbye",
                [
                    (
                        "text",
                        "Greetings",
                        8,
                        "## Saying hello\n\n"
                        "| German | English | When |\n|---|---|---|\n"
                        "| **Hallo** | Hello | with friends, at any time |\n"
                        "| **Guten Morgen** | Good morning | until about 11 o'clock |\n"
                        "| **Guten Tag** | Good day | in shops and offices |\n"
                        "| **Guten Abend** | Good evening | after about 6 pm |\n\n"
                        "## Saying goodbye\n\n"
                        "- **Tschüss** — bye (friendly)\n- **Auf Wiedersehen** — goodbye (polite)\n\n"
                        "> Tip: in an office, say *Guten Tag* when you come in and *Auf Wiedersehen* "
                        "when you leave.",
                    ),
                    (
                        "h5p",
                        "Which greeting?",
                        3,
                        (
                            "multichoice",
                            {
                                "question": "You go into the job centre at 10 am. What do you say?",
                                "answers": [
                                    {
                                        "text": "Guten Tag",
                                        "correct": True,
                                        "feedback": "Yes, polite and right.",
                                    },
                                    {
                                        "text": "Gute Nacht",
                                        "correct": False,
                                        "feedback": "That is for bedtime.",
                                    },
                                    {"text": "Tschüss", "correct": False, "feedback": "That is for leaving."},
                                ],
                            },
                        ),
                        None,
                    ),
                    (
                        "text",
                        "Numbers from 1 to 10",
                        6,
                        "1 **eins** · 2 **zwei** · 3 **drei** · 4 **vier** · 5 **fünf**\n\n"
                        "6 **sechs** · 7 **sieben** · 8 **acht** · 9 **neun** · 10 **zehn**\n\n"
                        "You need numbers for phone numbers, prices and times: "
                        "*Meine Nummer ist null, eins, sieben, sechs...*",
                    ),
                ],
            ),
            (
                "At the doctor's",
                [
                    (
                        "text",
                        "Making an appointment",
                        8,
                        "## On the phone\n\n"
                        "- *Guten Tag, ich möchte einen Termin machen.* —\n"
                        "  Hello, I would like an appointment.\n"
                        "- *Haben Sie am Montag Zeit?* — Do you have time on Monday?\n"
                        "- *Um wie viel Uhr?* — At what time?\n\n"
                        "Bring your health insurance card (**Gesundheitskarte**) to every appointment.",
                    ),
                    (
                        "h5p",
                        "Fill in the words",
                        4,
                        (
                            "fillblanks",
                            {
                                "question": "Complete the sentences.",
                                "text": "Ich möchte einen *Termin* machen.\n"
                                "Ich habe *Kopfschmerzen/Kopfweh*.\n"
                                "Bitte bringen Sie Ihre *Gesundheitskarte* mit.",
                            },
                        ),
                        60,
                    ),
                    (
                        "h5p",
                        "True or false?",
                        2,
                        (
                            "truefalse",
                            {
                                "question": "In Germany, 112 is the number for an ambulance.",
                                "correct": True,
                                "feedbackTrue": "Right: 112 for fire and ambulance, 110 for the police.",
                                "feedbackFalse": "It is: 112 for fire and ambulance, 110 for the police.",
                            },
                        ),
                        None,
                    ),
                ],
            ),
        ],
    },
    {
        "slug": "digital-skills-staying-safe-online",
        "title": "مهارات رقمية: البقاء آمنًا على الإنترنت",
        "summary": "تعلّم كيف تحمي هاتفك وحساباتك ومالك: "
        "كلمات مرور قوية، رسائل احتيال، وشبكات واي فاي العامة.",
        "language": "ar",
        "language_taught": "",
        "level": Level.EVERYONE,
        "category": Category.DIGITAL,
        "audience": "كل من يستخدم هاتفًا ذكيًا",
        "estimated_hours": 2,
        "modules": [
            (
                "حماية حساباتك",
                [
                    (
                        "text",
                        "كلمات المرور",
                        6,
                        "## كلمة مرور قوية\n\n"
                        "- استخدم **ثلاث كلمات عشوائية** معًا، مثل: *شمس-باب-قهوة*.\n"
                        "- لا تستخدم كلمة المرور نفسها في أكثر من موقع.\n"
                        "- لا تعطِ كلمة المرور لأي شخص، حتى لو قال إنه من البنك.\n\n"
                        "> فعّل **التحقق بخطوتين** في واتساب والبريد الإلكتروني.",
                    ),
                    (
                        "h5p",
                        "صح أم خطأ؟",
                        2,
                        (
                            "truefalse",
                            {
                                "question": "يطلب البنك أحيانًا كلمة المرور في رسالة نصية.",
                                "correct": False,
                                "feedbackTrue": "خطأ: البنك لا يطلب كلمة المرور أبدًا في رسالة.",
                                "feedbackFalse": "صحيح: البنك لا يطلب كلمة المرور أبدًا في رسالة.",
                            },
                        ),
                        None,
                    ),
                ],
            ),
            (
                "الاحتيال والشبكات العامة",
                [
                    (
                        "text",
                        "رسائل الاحتيال",
                        6,
                        "رسائل الاحتيال تحاول أن **تستعجلك**: «حسابك سيُغلق اليوم!»\n\n"
                        "1. لا تضغط على الرابط.\n2. اتصل بالجهة بنفسك من رقمها الرسمي.\n"
                        "3. احذف الرسالة.",
                    ),
                    (
                        "h5p",
                        "ماذا تفعل؟",
                        3,
                        (
                            "multichoice",
                            {
                                "question": "وصلتك رسالة: «ربحت هاتفًا! اضغط هنا وأرسل رقم بطاقتك». "
                                "ماذا تفعل؟",
                                "answers": [
                                    {"text": "أحذف الرسالة ولا أضغط على الرابط", "correct": True},
                                    {"text": "أضغط لأعرف أكثر", "correct": False},
                                    {"text": "أرسل رقم البطاقة فقط", "correct": False},
                                ],
                            },
                        ),
                        None,
                    ),
                ],
            ),
        ],
    },
    {
        "slug": "job-interview-skills",
        "title": "مهارت‌های مصاحبهٔ شغلی",
        "summary": "برای مصاحبهٔ کاری آماده شوید: خودتان را معرفی کنید، "
        "به سؤال‌های رایج پاسخ دهید و سؤال بپرسید.",
        "language": "fa",
        "language_taught": "",
        "level": Level.EVERYONE,
        "category": Category.SOFT_SKILLS,
        "audience": "کسانی که دنبال کار می‌گردند",
        "estimated_hours": 2,
        "modules": [
            (
                "آمادگی",
                [
                    (
                        "text",
                        "معرفی خودتان در یک دقیقه",
                        6,
                        "## سه جمله کافی است\n\n"
                        "1. **چه کسی هستید:** نام و کاری که بلدید.\n"
                        "2. **چه تجربه‌ای دارید:** یک مثال واقعی.\n"
                        "3. **چرا این کار:** چه چیزی به تیم می‌دهید.\n\n"
                        "> با صدای بلند تمرین کنید، جلوی آینه یا با یک دوست.",
                    ),
                    (
                        "h5p",
                        "کدام پاسخ بهتر است؟",
                        3,
                        (
                            "multichoice",
                            {
                                "question": "می‌پرسند: «چرا می‌خواهید اینجا کار کنید؟» بهترین پاسخ کدام است؟",
                                "answers": [
                                    {
                                        "text": "چون در آشپزخانه تجربه دارم و کار تیمی را دوست دارم",
                                        "correct": True,
                                    },
                                    {"text": "نمی‌دانم، فقط کار می‌خواهم", "correct": False},
                                    {"text": "چون نزدیک خانه‌ام است", "correct": False},
                                ],
                            },
                        ),
                        None,
                    ),
                    (
                        "h5p",
                        "جمله را کامل کنید",
                        3,
                        (
                            "fillblanks",
                            {
                                "question": "کلمهٔ درست را بنویسید.",
                                "text": "در مصاحبه *به‌موقع* برسید.\nدر پایان از مصاحبه‌کننده *تشکر* کنید.",
                            },
                        ),
                        None,
                    ),
                ],
            ),
        ],
    },
]

# Demo learners: who takes what, and how far they got (number of lessons done, in order).
LEARNERS = (
    ("migrant@demo.test", "german-a1-first-steps", 3),
    ("migrant@demo.test", "digital-skills-staying-safe-online", 1),
    ("migrant2@demo.test", "job-interview-skills", 3),
)
# Further demo learners of the German course, enrolled over the past weeks, so that the
# progress table and its chart have something to show.
EXTRA_LEARNERS = 12


@transaction.atomic
def seed(*, write: Callable[[str], None]) -> None:
    author = User.objects.filter(email=AUTHOR).first()
    if author is None:
        return
    for spec in COURSES:
        if Course.objects.filter(slug=spec["slug"]).exists():
            continue  # kept as it is, also when someone trying the demo edited it
        _course_create(author=author, spec=spec)
        write(f"course {spec['slug']}")
    for email, slug, done in LEARNERS:
        learner = User.objects.filter(email=email).first()
        course = Course.objects.filter(slug=slug).first()
        if learner and course and not Enrolment.objects.filter(user=learner, course=course).exists():
            _learn(learner=learner, course=course, lessons=done)
            write(f"{email} learns {slug}")
    _extra_learners(write=write)


def _course_create(*, author: User, spec: dict[str, Any]) -> Course:
    now = timezone.now()
    fields = {key: value for key, value in spec.items() if key != "modules"}
    course = Course.objects.create(
        **fields, author=author, status=Course.Status.PUBLISHED, published_at=now - timedelta(days=60)
    )
    for m, (module_title, lessons) in enumerate(spec["modules"]):
        module = Module.objects.create(course=course, title=module_title, position=m)
        for position, lesson in enumerate(lessons):
            kind, title, minutes, content = lesson[:4]
            if kind == "text":
                Lesson.objects.create(
                    module=module, title=title, position=position, kind=kind, body=content, minutes=minutes
                )
                continue
            h5p_kind, params = content
            package = demo_package(h5p_kind, title=title, language=course.language, params=params)
            h5p = h5p_content_upload(uploader=author, file=io.BytesIO(package), size=len(package))
            Lesson.objects.create(
                module=module,
                title=title,
                position=position,
                kind=kind,
                h5p=h5p,
                pass_score=lesson[4],
                minutes=minutes,
            )
    return course


def _learn(*, learner: User, course: Course, lessons: int) -> None:
    """Enrol and complete the first `lessons` lessons the way a browser would report them."""
    records.enrolment_create(user=learner, course=course)
    ordered = Lesson.objects.filter(module__course=course).order_by("module__position", "position")
    for lesson in ordered[:lessons]:
        records.lesson_open(user=learner, lesson=lesson)
        if lesson.kind == Lesson.Kind.TEXT:
            records.progress_report(
                user=learner, lesson=lesson, event_id=uuid.uuid4(), data={"read_to_end": True, "position": 1}
            )
        else:
            records.xapi_statements_store(user=learner, statements=[_passed(lesson)])


def _passed(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"id": f"urn:x-passage:h5p:{lesson.h5p_id}", "objectType": "Activity"},
        "result": {"score": {"raw": 3, "max": 3, "scaled": 1}, "success": True, "completion": True},
        "context": {"extensions": {records.LESSON_EXTENSION: lesson.pk}},
    }


def _extra_learners(*, write: Callable[[str], None]) -> None:
    course = Course.objects.filter(slug="german-a1-first-steps").first()
    if course is None or User.objects.filter(email="learner01@demo.test").exists():
        return
    total = Lesson.objects.filter(module__course=course).count()
    now = timezone.now()
    for n in range(1, EXTRA_LEARNERS + 1):
        learner = accounts.user_create(
            email=f"learner{n:02d}@demo.test",
            password=None,
            roles=[Role.MIGRANT],
            display_name=f"Demo learner {n}",
            email_verified=True,
        )
        _learn(learner=learner, course=course, lessons=(n * 5) % (total + 1))
        # Spread the enrolments and completions over the past eight weeks, for the chart.
        started = now - timedelta(days=56 - 4 * n)
        enrolment = Enrolment.objects.get(user=learner, course=course)
        enrolment.enrolled_at = started
        if enrolment.completed_at:
            enrolment.completed_at = started + timedelta(days=3 + n % 5)
        enrolment.last_activity_at = enrolment.completed_at or started + timedelta(days=1)
        enrolment.save()
    write(f"{EXTRA_LEARNERS} demo learners of {course.slug}")
