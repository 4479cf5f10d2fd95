"""Plausible names, emails and organisations for generated learners (no database)."""

import random
import unicodedata

from app.accounts.models import Represents


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SPANISH_GIVEN = _words(
    "María Lucía Ana Sofía Valentina Camila Daniela Gabriela Carolina Paola Fernanda Rosa "
    "Patricia Verónica Mariana Lorena Natalia Claudia Elena Isabel Juan Carlos José Luis Miguel "
    "Jorge Andrés Diego Javier Ricardo Fernando Alejandro Pablo Sergio Raúl Óscar Manuel Héctor "
    "Gustavo Eduardo Rafael Esteban"
)
_SPANISH_FAMILY = _words(
    "García Rodríguez Martínez López González Hernández Pérez Sánchez Ramírez Torres Flores "
    "Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Chávez Ramos Vargas Castillo Jiménez "
    "Moreno Romero Herrera Medina Aguilar Castro Vega Rojas Mendoza Silva Núñez Fuentes Quispe "
    "Mamani Benítez Acosta"
)
_PORTUGUESE_GIVEN = _words(
    "Ana Maria Juliana Fernanda Beatriz Larissa Camila Patrícia Luciana Aline Gabriela Renata "
    "João José Carlos Paulo Lucas Pedro Rafael Marcos Rodrigo Thiago Felipe Gustavo André Bruno"
)
_PORTUGUESE_FAMILY = _words(
    "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro "
    "Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento"
)
_ENGLISH_GIVEN = _words(
    "Shanice Kimberly Tanya Nadine Simone Andrea Keisha Marsha Dwayne Andre Marlon Kevin "
    "Ricardo Omar Damion Garfield Courtney Dane"
)
_ENGLISH_FAMILY = _words(
    "Brown Williams Campbell Thompson Clarke Grant Robinson Francis Reid Morgan Lewis Walker "
    "Gordon Henry Spence Wright Palmer Bailey"
)

# Learners who come from outside the member institutions: (name, what they represent).
OTHER_ORGANISATIONS = (
    ("Ministerio de Trabajo", Represents.GOVERNMENT),
    ("Ministerio de Educación", Represents.GOVERNMENT),
    ("Cámara de Industria", Represents.EMPLOYERS),
    ("Asociación de Empresarios", Represents.EMPLOYERS),
    ("Central de Trabajadores", Represents.WORKERS),
    ("Sindicato de la Construcción", Represents.WORKERS),
    ("Fundación para el Empleo Juvenil", Represents.OTHER),
)


def language_of(country_code: str) -> str:
    """The language a learner from the country most likely uses."""
    return {"BR": "pt", "JM": "en"}.get(country_code, "es")


def full_name(rng: random.Random, language: str) -> str:
    """A given and family name (two family names, sometimes two given, in Spanish)."""
    if language == "pt":
        return f"{rng.choice(_PORTUGUESE_GIVEN)} {rng.choice(_PORTUGUESE_FAMILY)}"
    if language == "en":
        return f"{rng.choice(_ENGLISH_GIVEN)} {rng.choice(_ENGLISH_FAMILY)}"
    given = rng.choice(_SPANISH_GIVEN)
    if rng.random() < 0.2:
        given = f"{given} {rng.choice(_SPANISH_GIVEN)}"
    return f"{given} {rng.choice(_SPANISH_FAMILY)} {rng.choice(_SPANISH_FAMILY)}"


def email_part(name: str) -> str:
    """`given.family` in plain ASCII, the start of a learner's email."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = ascii_name.lower().split()
    return f"{words[0]}.{words[-1]}"
