"""The network's areas in `flask demo setup`: institution coordinators, the observatory, the
network survey, the course directory, a thematic network and a cohort's board, each filled a
little through its area's own services, so that a person trying the platform sees them work.

Idempotent: each piece is looked for first (by its account, title or address) and made only
when missing, so a second run creates nothing twice. Flushed, not committed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Institution, Represents, User
from app.coordinators import services as coordinators
from app.core.i18n import COUNTRY_TIMEZONES
from app.directory import services as directory
from app.discussions import networks
from app.discussions import services as discussions
from app.discussions.models import Thread, ThreadKind
from app.extensions import db
from app.observatory import services as observatory
from app.observatory.models import EntryState
from app.survey import services as survey_services
from app.survey.models import QuestionKind

DEMO_COORDINATOR_EMAIL = "coordinator@aula.example"
DEMO_OTHER_COORDINATOR_EMAIL = "coordinator.br@aula.example"
DEMO_LEARNER_EMAIL = "learner@aula.example"
DEMO_NETWORK_SLUG = "formacion-a-distancia"

# (acronym, country): the demo coordinator's institution, then the other one's.
DEMO_INSTITUTIONS = (("SENA", "CO", "es"), ("SENAI", "BR", "pt"))

DemoAccount = Callable[[str, str, str], str]  # (email, full name, password file) -> password


@dataclass
class AreasReport:
    """What the areas' demo holds, and the accounts to print."""

    lines: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (who, email, password)


def set_up_areas(
    admin: User, tutor: User | None, make_account: DemoAccount, today: date
) -> AreasReport:
    report = AreasReport()
    (home, home_language), (other, other_language) = [
        (_institution(acronym, country, position), language)
        for position, (acronym, country, language) in enumerate(DEMO_INSTITUTIONS)
    ]
    coordinator, password = _coordinator(
        admin, home, home_language, DEMO_COORDINATOR_EMAIL, "Demo Coordinator", make_account,
        "demo_coordinator_password",
    )  # fmt: skip
    report.accounts.append(
        (f"an institution coordinator ({home.acronym})", coordinator.email, password)
    )
    colleague, password = _coordinator(
        admin, other, other_language, DEMO_OTHER_COORDINATOR_EMAIL, "Coordenação Demo",
        make_account, "demo_coordinator_br_password",
    )  # fmt: skip
    report.accounts.append(
        (f"the coordinator of another institution ({other.acronym})", colleague.email, password)
    )
    report.lines.append(_observatory(admin, home, coordinator, other, colleague))
    report.lines.append(_survey(home, coordinator, other, colleague, today))
    report.lines.append(_directory(home, other))
    report.lines.append(_network(coordinator, colleague))
    board_line, learner_password = _cohort_board(home, coordinator, tutor, make_account)
    report.lines.append(board_line)
    if learner_password is not None:
        report.accounts.append(("a learner in a demo cohort", DEMO_LEARNER_EMAIL, learner_password))
    return report


# Coordinators ----------------------------------------------------------------------------


def _institution(acronym: str, country: str, position: int) -> Institution:
    """The bundled institution, or (if the list has changed) another active one."""
    found = db.session.scalar(
        select(Institution).where(
            Institution.acronym == acronym, Institution.country_code == country
        )
    )
    return found or accounts.active_institutions()[position]


def _register_with(user: User, institution: Institution, locale: str) -> None:
    if user.institution_id == institution.id:
        return
    accounts.update_profile(
        user,
        full_name=user.full_name,
        country_code=institution.country_code,
        institution_id=institution.id,
        institution_other=None,
        represents=Represents.VTI,
        locale=locale,
        timezone=COUNTRY_TIMEZONES.get(institution.country_code, "UTC"),
    )


def _coordinator(
    admin: User,
    institution: Institution,
    locale: str,
    email: str,
    full_name: str,
    make_account: DemoAccount,
    password_name: str,
) -> tuple[User, str]:
    """A demo account registered with the institution, which it coordinates; its password."""
    password = make_account(email, full_name, password_name)
    user = accounts.find_user_by_email(email)
    _register_with(user, institution, locale)
    if coordinators.coordinated_institution_id(user) is None:
        coordinators.grant_coordinator(admin, institution, user)
    return user, password


# The observatory ---------------------------------------------------------------------------

_ENTRIES = [
    # (institution: 0 home, 1 other; texts by language; country from the institution;
    #  themes, audience, period, links; published or left waiting for review)
    {
        "at": 0,
        "texts": {
            "es": (
                "Aulas móviles para la formación rural",
                "Camiones equipados como talleres llevan cursos de soldadura y electricidad "
                "a municipios sin centro de formación.",
                "## Qué hicimos\n\nDos aulas móviles recorren **12 municipios** por año. "
                "Cada parada dura seis semanas.\n\n## Qué aprendimos\n\n- Acordar el "
                "calendario con las alcaldías.\n- Certificar por módulos cortos.",
            ),
            "en": (
                "Mobile classrooms for rural training",
                "Trucks fitted out as workshops take welding and electricity courses to "
                "towns without a training centre.",
                "## What we did\n\nTwo mobile classrooms visit **12 towns** a year. Each stop "
                "lasts six weeks.",
            ),
        },
        "themes": ["inclusion", "apprenticeship"],
        "audience": "learners",
        "period": (2021, 2024),
        "links": "https://www.sena.edu.co SENA",
        "publish": True,
    },
    {
        "at": 1,
        "texts": {
            "pt": (
                "Trilhas digitais para a indústria 4.0",
                "Cursos curtos a distância sobre automação e dados para trabalhadores da "
                "indústria, com tutoria semanal.",
                "## Como funciona\n\nCada trilha tem **quatro módulos** de 10 horas, com "
                "um projeto aplicado na empresa do participante.",
            ),
        },
        "themes": ["digital", "distance"],
        "audience": "partners",
        "period": (2022, None),
        "links": "",
        "publish": True,
    },
    {
        "at": 0,
        "texts": {
            "es": (
                "Guía de seguridad en talleres de formación",
                "Una guía práctica para instructores sobre riesgos en talleres y cómo "
                "enseñar a prevenirlos.",
                "La guía reúne listas de verificación por tipo de taller.",
            ),
            "pt": (
                "Guia de segurança em oficinas de formação",
                "Um guia prático para instrutores sobre riscos nas oficinas e como ensinar "
                "a preveni-los.",
                "",
            ),
            "en": (
                "Safety guide for training workshops",
                "A practical guide for instructors on workshop hazards and how to teach "
                "their prevention.",
                "",
            ),
        },
        "themes": ["osh"],
        "audience": "instructors",
        "period": (2023, 2023),
        "links": "",
        "publish": True,
    },
    {
        "at": 0,
        "texts": {
            "es": (
                "Empleos verdes en la construcción",
                "Un programa piloto de formación en eficiencia energética para trabajadores "
                "de la construcción.",
                "Borrador: faltan los resultados del primer grupo.",
            ),
        },
        "themes": ["green"],
        "audience": "partners",
        "period": (2025, None),
        "links": "",
        "publish": False,  # sent, waiting for an administrator's review
    },
]


def _observatory(admin, home, coordinator, other, colleague) -> str:
    places = [(home, coordinator), (other, colleague)]
    for spec in _ENTRIES:
        institution, author = places[spec["at"]]
        first_title = next(iter(spec["texts"].values()))[0]
        written = observatory.entries_of(institution)
        if any(first_title in entry.title.values() for entry in written):
            continue
        period_from, period_to = spec["period"]
        draft = observatory.EntryDraft(
            texts={
                language: observatory.EntryTexts(*texts)
                for language, texts in spec["texts"].items()
            },
            country_code=institution.country_code,
            themes=spec["themes"],
            audience=spec["audience"],
            period_from=period_from,
            period_to=period_to,
            links=spec["links"],
        )
        entry = observatory.save_entry(None, institution, draft, author)
        observatory.submit_entry(entry)
        if spec["publish"]:
            observatory.publish_entry(entry, admin)
    entries = [e for place, _ in places for e in observatory.entries_of(place)]
    published = sum(entry.state == EntryState.PUBLISHED for entry in entries)
    waiting = sum(entry.state == EntryState.SUBMITTED for entry in entries)
    return (
        f"Observatory: {published} published entries at /observatory/, "
        f"{waiting} waiting for review at /admin/observatory/."
    )


# The network survey ------------------------------------------------------------------------

_SURVEY_TITLE = "Encuesta de la red: formación a distancia"
_QUESTIONS = [
    # (kind, prompt and choices in es, pt, en; required)
    (
        QuestionKind.SINGLE,
        {
            "es": (
                "¿Su institución ofrece formación a distancia?",
                "Sí, en la mayoría de los programas\nEn algunos programas\nTodavía no",
            ),
            "pt": (
                "Sua instituição oferece formação a distância?",
                "Sim, na maioria dos programas\nEm alguns programas\nAinda não",
            ),
            "en": (
                "Does your institution offer distance training?",
                "Yes, in most programmes\nIn some programmes\nNot yet",
            ),
        },
        True,
    ),
    (
        QuestionKind.MULTIPLE,
        {
            "es": (
                "¿Qué modalidades usa?",
                "En línea, a su ritmo\nEn línea, con tutoría\nMixta\nPor mensajería o SMS",
            ),
            "pt": (
                "Quais modalidades usa?",
                "On-line, no seu ritmo\nOn-line, com tutoria\nHíbrida\nPor mensagens ou SMS",
            ),
            "en": (
                "Which modalities do you use?",
                "Online, self-paced\nOnline, tutor-led\nBlended\nBy messaging or SMS",
            ),
        },
        False,
    ),
    (
        QuestionKind.NUMBER,
        {
            "es": ("¿Cuántas personas siguieron sus cursos a distancia el último año?", ""),
            "pt": ("Quantas pessoas fizeram seus cursos a distância no último ano?", ""),
            "en": ("How many people took your distance courses last year?", ""),
        },
        False,
    ),
    (
        QuestionKind.LONG,
        {
            "es": ("Cuente una experiencia que quiera compartir con la red.", ""),
            "pt": ("Conte uma experiência que queira compartilhar com a rede.", ""),
            "en": ("Tell us about an experience you would like to share with the network.", ""),
        },
        False,
    ),
]
_SURVEY_TEXTS = {
    "es": (_SURVEY_TITLE, "Queremos conocer cómo forma a distancia cada institución de la red."),
    "pt": ("Pesquisa da rede: formação a distância",
           "Queremos conhecer como cada instituição da rede forma a distância."),
    "en": ("Network survey: distance training",
           "We want to learn how each institution of the network trains at a distance."),
}  # fmt: skip
_ANSWERS = [
    # by institution (home, other): institution kind and answers by question position
    ("public", ["0", ["1", "2"], "48000", "Cursos virtuales con tutoría para todo el país."]),
    ("tripartite", ["1", ["0", "3"], "125000", "Trilhas digitais para a indústria."]),
]


def _survey(home, coordinator, other, colleague, today: date) -> str:
    survey = next((s for s in survey_services.all_surveys() if s.title == _SURVEY_TITLE), None)
    if survey is None:
        title, intro = _SURVEY_TEXTS["es"]
        survey = survey_services.save_survey(
            None, title, intro, "es", today - timedelta(days=7), today + timedelta(days=60)
        )
        for kind, texts, required in _QUESTIONS:
            prompt, choices = texts["es"]
            survey_services.add_question(survey, kind.value, prompt, choices, required)
        pairs = list(zip(survey.questions, _QUESTIONS, strict=True))
        for language in ("pt", "en"):
            title, intro = _SURVEY_TEXTS[language]
            translated = {question.id: texts[language] for question, (_, texts, _) in pairs}
            survey_services.translate_survey(survey, language, title, intro, translated)
        survey_services.open_survey(survey)
    answered = 0
    for (institution, author), (kind, values) in zip(
        [(home, coordinator), (other, colleague)], _ANSWERS, strict=True
    ):
        if survey_services.response_of(survey, institution) is None and survey.accepts_answers(
            today
        ):
            answers = dict(zip([q.id for q in survey.questions], values, strict=True))
            survey_services.save_response(survey, institution, author, kind, answers, today)
        answered += survey_services.response_of(survey, institution) is not None
    return f"Survey: “{survey.title}” {survey.state.value}, {answered} institutions answered."


# The course directory ----------------------------------------------------------------------

_COURSES = [
    (0, "Soldadura básica en línea", "Fundamentos de soldadura por arco, con prácticas "
     "guiadas en video.", "tutor_led", "es", "apprenticeship", 60, True,
     "https://oferta.senasofiaplus.edu.co/"),
    (0, "Seguridad y salud en el trabajo", "Curso virtual sobre prevención de riesgos "
     "laborales.", "self_paced", "es", "osh", 40, True, "https://oferta.senasofiaplus.edu.co/"),
    (1, "Introdução à automação industrial", "Conceitos de automação e controladores "
     "lógicos programáveis.", "blended", "pt", "digital", 80, False,
     "https://www.senaispvirtual.com.br/"),
    (1, "Eficiência energética na indústria", "Curso livre a distância sobre o uso "
     "eficiente da energia.", "self_paced", "pt", "green", 20, True,
     "https://www.senaispvirtual.com.br/"),
]  # fmt: skip


def _directory(home, other) -> str:
    institutions = [home, other]
    for at, title, description, modality, language, theme, hours, free, url in _COURSES:
        institution = institutions[at]
        if any(course.title == title for course in directory.courses_of(institution)):
            continue
        directory.save_course(
            None, institution,
            directory.CourseListing(title, description, modality, language, theme, hours,
                                    free, url),
        )  # fmt: skip
    listed = sum(len(directory.courses_of(institution)) for institution in institutions)
    return f"Course directory: {listed} courses of members at /distance-courses/."


# A thematic network ------------------------------------------------------------------------

_NETWORK_THREAD = "¿Qué plataforma usan para sus cursos a distancia?"


def _thread_titled(place, title: str) -> Thread | None:
    board = discussions.find_board(place)
    if board is None:
        return None
    return db.session.scalar(
        select(Thread).where(Thread.board_id == board.id, Thread.title == title)
    )


def _network(coordinator, colleague) -> str:
    network = networks.network_by_slug(DEMO_NETWORK_SLUG)
    if network is None:
        network = networks.create_network(
            DEMO_NETWORK_SLUG,
            "Formación a distancia",
            "Experiencias y preguntas sobre cursos en línea y a distancia en la red.",
        )
        networks.name_moderator(network, coordinator.email)
    networks.join(network, colleague)
    place = discussions.Place(network=network)
    if _thread_titled(place, _NETWORK_THREAD) is None:
        thread = discussions.start_thread(
            place, coordinator, ThreadKind.QUESTION, _NETWORK_THREAD,
            "Estamos evaluando plataformas para 2026. ¿Qué usan y qué tal les va?",
        )  # fmt: skip
        discussions.reply(
            thread, place, colleague,
            "No SENAI usamos uma plataforma própria, com aplicativo para celular.",
        )  # fmt: skip
    return f"Network: “{network.name}” at /networks/{network.slug}/board with a conversation."


# A cohort's board ---------------------------------------------------------------------------

_BOARD_THREAD = "Presentaciones"
_PRIVATE_QUESTION = "Entrega del proyecto final"


def _cohort_board(home, coordinator, tutor, make_account) -> tuple[str, str | None]:
    """The demo learner, enrolled by the coordinator in a demo tutor's open cohort, starts a
    conversation that the tutor answers and asks the tutor a question of their own."""
    place = None
    if tutor is not None:
        place = next(
            (
                p
                for p in coordinators.open_places()
                if p.cohort is not None and p.cohort.is_tutor(tutor)
            ),
            None,
        )
    learner = accounts.find_user_by_email(DEMO_LEARNER_EMAIL)
    if place is None and learner is None:
        return "Cohort board: none, as no demo cohort is open for enrolment.", None
    password = make_account(DEMO_LEARNER_EMAIL, "Demo Learner", "demo_learner_password")
    learner = accounts.find_user_by_email(DEMO_LEARNER_EMAIL)
    _register_with(learner, home, "es")
    if place is not None:
        coordinators.enroll_person(home, learner, place, coordinator)
        board = discussions.Place(cohort=place.cohort)
        if _thread_titled(board, _BOARD_THREAD) is None:
            thread = discussions.start_thread(
                board, learner, ThreadKind.DISCUSSION, _BOARD_THREAD,
                "Hola a todos: soy instructora en un centro del SENA en Cali. ¿De dónde son?",
            )  # fmt: skip
            discussions.reply(thread, board, tutor, "¡Bienvenida! Preséntense aquí todos.")
        if _thread_titled(board, _PRIVATE_QUESTION) is None:
            discussions.start_thread(
                board, learner, ThreadKind.PRIVATE, _PRIVATE_QUESTION,
                "¿Puedo entregar el proyecto final una semana más tarde por un viaje de trabajo?",
            )  # fmt: skip
        course = place.offering.course
        return (
            f"Cohort board: cohort “{place.cohort.name}” of {course.slug}, a conversation and "
            f"a question to the tutor ({DEMO_LEARNER_EMAIL} is enrolled).",
            password,
        )
    return "Cohort board: left as it is.", password
