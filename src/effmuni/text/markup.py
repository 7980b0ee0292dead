"""Text from the data is data: escaping names before they enter Markdown or HTML.

A municipality or process name can hold ``<``, ``&``, quotes, ``*``, ``_``, ``#`` or brackets
(real names do: «<Новое>», «МФЦ "Мои документы"»). Every value from the data goes through
:func:`md_escape` before it is put into a Markdown sentence and through :func:`html_escape`
before it is put into HTML, so it is shown as written and never becomes markup or script.
"""

from __future__ import annotations

import html
import re

from babel import Locale

from .catalogue import check_lang, label

__all__ = ["capitalize_first", "html_escape", "md_escape", "plural"]

# the ASCII punctuation Markdown (CommonMark) gives a meaning to; ``<``, ``>`` and ``&`` are
# HTML-escaped instead (a backslash before ``&lt;`` would show the entity's text)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def html_escape(value: object) -> str:
    """``value`` as HTML text: ``&``, ``<``, ``>`` and both quotes escaped.

    Examples
    --------
    >>> html_escape('<script>alert("x")</script>Округ')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;Округ'
    """
    return html.escape("" if value is None else str(value), quote=True)


def md_escape(value: object) -> str:
    """``value`` as literal Markdown text: HTML escaped, Markdown punctuation backslashed.

    Examples
    --------
    >>> md_escape("*МФЦ* <Новое> #1 [a](b)")
    '\\\\*МФЦ\\\\* &lt;Новое&gt; \\\\#1 \\\\[a\\\\]\\\\(b\\\\)'
    """
    text = "" if value is None else str(value)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return html.escape(text, quote=False).replace("\n", " ")


def capitalize_first(text: str) -> str:
    """The text with its first letter upper case (a name that starts a sentence).

    Examples
    --------
    >>> capitalize_first("город Чебоксары")
    'Город Чебоксары'
    """
    return text[:1].upper() + text[1:]


def plural(n: int, key: str, *, lang: str = "ru") -> str:
    """The form of the word ``key`` that agrees with ``n`` (Babel's CLDR plural rules).

    The catalogue entry holds the forms separated by ``|``: Russian ``one|few|many``
    (проект|проекта|проектов), English ``one|other``.

    Examples
    --------
    >>> [plural(n, "word_projects") for n in (1, 3, 5, 21)]
    ['проект', 'проекта', 'проектов', 'проект']
    >>> plural(1, "word_projects", lang="en"), plural(2, "word_projects", lang="en")
    ('project', 'projects')
    """
    forms = label(key, check_lang(lang)).split("|")
    rule = Locale.parse("ru" if lang == "ru" else "en").plural_form(abs(int(n)))
    order = ("one", "few", "many") if lang == "ru" else ("one", "other")
    return forms[order.index(rule)] if rule in order else forms[-1]
