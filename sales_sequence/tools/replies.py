"""What a human reply to a sales email says.

No Odoo (lxml, which Odoo requires, parses HTML). :func:`classify_reply` reads the *new* text of a reply
(the quoted original, the attribution line, forwarded headers and the
signature are cut first, see :func:`new_text`) and returns a
:class:`Classification`: a ``kind`` code and, for a referral, the addresses
the reply points to. Keyword and pattern rules in English, French, German,
Spanish, Dutch and Italian, checked in this order, the first kind found wins:

==================  ==============================================  =====================================
``kind``            the reply says                                  examples
==================  ==============================================  =====================================
``unsubscribe``     stop writing to me                              "please remove me", "unsubscribe",
                                                                    "désinscrire", "bitte abmelden",
                                                                    "darme de baja", "cancellatemi"
``referral``        I am not the one: someone else is               "I'm no longer with ACME", "contact
                                                                    Jane at jane@acme.com", "the right
                                                                    person is ...", "ya no trabajo en"
``not_interested``  no                                              "not interested", "we're all set",
                                                                    "pas intéressé", "kein Interesse"
``positive``        yes, tell me more                               "sounds good", "let's talk", "book a
                                                                    call", "d'accord pour un appel"
``neutral``         none of the above
==================  ==============================================  =====================================

A referral is a phrase that says the sender is not (or no longer) the one to
talk to ("no longer with", "not the right person", "my new address"), or a
pointer to someone ("contact ... at", "cc'ing", "she handles this") together
with an address in the new text: "please contact my colleague" alone is
``neutral``, there is nobody to write to.

``emails`` holds the addresses of a referral, lower-cased, in order, without
the sender's own address, the ``ignore`` ones (the rep's, the catchall) and
anything in the quoted original or the signature. A reply can both ask to be
removed and name the right person ("I left ACME, remove me; write to
jane@acme.com"): the kind is then ``unsubscribe`` and ``emails`` still holds
Jane's address, so the caller can both suppress the sender and tell the rep.
``emails`` is empty for the other kinds.

>>> classify_reply("Please remove me from your list.\\n\\n> Hi Jane, ... Unsubscribe")
Classification(kind='unsubscribe', emails=())
>>> classify_reply("I left ACME last year, please contact Jane Roe (jane.roe@acme.com).",
...                sender="old.timer@acme.com")
Classification(kind='referral', emails=('jane.roe@acme.com',))
>>> classify_reply("Not interested right now, but let's talk in Q3.").kind
'not_interested'
>>> classify_reply("I'm not unsubscribing, sounds good!").kind
'positive'

Negations: a match does not count when a negation word stands among the
three words before it in the same clause ("please **don't** remove me",
"ich möchte mich **nicht** abmelden", "**no** me interesa"); a clause ends at
punctuation, a line break or "but / mais / aber / pero / maar / ma". "No," and
"no please" are answers, not negations. Phrases that carry their own negation
("not interested", "don't email me again", "ne plus me contacter") are
matched whole.

Why this order: an unsubscribe request is a legal duty (it suppresses the
address even when the sequence would not exit on a reply); a referral gives
the rep somebody to talk to; a refusal outweighs the polite positive words
that soften it ("not interested right now, but let's talk in Q3" is
``not_interested``: the rep reads the reply and can plan Q3 by hand).

"Remove me from the CC" (or the copy, "aus dem CC", "en copie"...) is not an
unsubscribe request: the sender asks to leave a conversation, usually because
someone else takes it (often named in the same reply: a referral).

Only the first :data:`MAX_TEXT_CHARS` characters of the new text are read:
a reply makes its point at the top, and the cost is bounded whatever the size
of the email (the regexes are linear too: no nested quantifiers, bounded
look-arounds; a 200 KB reply classifies in milliseconds).
"""

import re
from typing import NamedTuple

import lxml.html
from lxml import etree

__all__ = [
    "KINDS",
    "LABELS",
    "NEUTRAL",
    "NOT_INTERESTED",
    "POSITIVE",
    "REFERRAL",
    "UNSUBSCRIBE",
    "Classification",
    "classify_html_reply",
    "classify_reply",
    "find_emails",
    "html_to_text",
    "new_text",
]

UNSUBSCRIBE = "unsubscribe"
REFERRAL = "referral"
NOT_INTERESTED = "not_interested"
POSITIVE = "positive"
NEUTRAL = "neutral"
KINDS = (UNSUBSCRIBE, REFERRAL, NOT_INTERESTED, POSITIVE, NEUTRAL)  # precedence order
LABELS = {
    UNSUBSCRIBE: "Unsubscribe request",
    REFERRAL: "Referral",
    NOT_INTERESTED: "Not interested",
    POSITIVE: "Positive",
    NEUTRAL: "Neutral",
}


class Classification(NamedTuple):
    """``kind``: one of :data:`KINDS`; ``emails``: the referred addresses."""

    kind: str
    emails: tuple = ()


# ---------------------------------------------------------------------------
# The rules: phrases in lower case (the text is lower-cased before matching),
# one regex alternative each, whole words ("\w*" lets a stem take endings).
# "'" stands for any apostrophe (the text's ’ and ` are made ').
# ---------------------------------------------------------------------------

_ME = r"(?:me|us|my (?:e-?mail|address|name|details|contact)|this (?:e-?mail|address))"
_EMAILS = r"(?:e-?mails|e-?mailing|mails|mailing|messages|spamming|spam|sequences?|newsletters?)"

UNSUBSCRIBE_PHRASES = [
    # en
    r"unsubscrib\w*",
    r"un-subscrib\w*",
    r"opt(?:ing|ed)? (?:me |us )?out",
    r"opt-out",
    r"remove " + _ME,
    r"take (?:me|us|my \w+) (?:off|out)",
    r"delete (?:me|my (?:data|details|e-?mail|address))",
    r"(?:stop|quit|cease) (?:sending (?:me |us )?)?(?:all |the |your |these |those |this |such )?(?:\w+ )?" + _EMAILS,
    r"(?:stop|quit) (?:e-?mailing|mailing|contacting|messaging|writing to|sending|calling|spamming|bothering) "
    r"(?:me|us)",
    r"(?:do not|don't|never) (?:e-?mail|contact|mail|message|write to) (?:me|us)",
    r"no (?:more|further) " + _EMAILS,
    r"(?:leave|let) (?:me|us) alone",
    r"off (?:your|the|this) (?:mailing )?list",
    r"(?:don't|do not) want (?:any more|any further|more|further|your) " + _EMAILS,
    r"(?:be|get|being|i'm|i am|we're|we are) removed",
    r"(?:^|(?<=[.!?] ))(?:please |pls )?stop(?:[.!]+|$)",
    # fr
    r"d[ée]sinscri\w*",
    r"d[ée]sabonn\w*",
    r"(?:retirez|supprimez|enlevez|effacez)-?(?:moi|nous)",
    r"(?:retirer|supprimer|enlever|effacer) (?:mon adresse|mes coordonn[ée]es|mon e-?mail|mon nom)",
    r"me retirer de",
    r"arr[êe]te[rz]? de m'(?:[ée]crire|envoyer|contacter|solliciter|relancer)",
    r"ne (?:plus )?me (?:contactez|[ée]crivez|sollicitez|relancez|envoyez)(?: plus)?",
    r"ne plus me (?:contacter|[ée]crire|solliciter|relancer|envoyer)",
    r"ne m'(?:[ée]crivez|envoyez|contactez) plus",
    r"plus de (?:mails|e-?mails|messages|sollicitations)",
    r"ne (?:souhaite|souhaitons|veux|voulons|d[ée]sire) plus (?:recevoir|[êe]tre contact[ée])",
    # de
    r"abmelden",
    r"abbestell\w*",
    r"austragen",
    r"tragen sie mich (?:bitte )?aus",
    r"melden sie mich (?:bitte )?(?:von \w+ )?ab",
    r"(?:entfernen|l[öo]schen) sie (?:mich|meine (?:daten|adresse))",
    r"keine (?:weiteren )?(?:e-?mails|mails|nachrichten|werbung)(?: mehr)?",
    r"nicht mehr (?:kontaktieren|anschreiben|anmailen|schreiben)",
    r"(?:kontaktieren|schreiben|mailen) sie mich (?:bitte )?nicht mehr",
    # es
    r"(?:darme|darse|darnos|dadme|denme|dar) de baja",
    r"baja de (?:la|su|vuestra|esta) lista",
    r"(?:eliminar|quitar|sacar|borrar)(?:me|nos)? de (?:la|su|sus|vuestra|esta) (?:lista|base)",
    r"(?:elim[ií]n|qu[ií]t|s[aá]qu|b[oó]rr)(?:en|enme|ame|adme)",
    r"desuscrib\w*",
    r"cancelar (?:la |mi )?suscripci[oó]n",
    r"no me (?:escriba|escriban|contacte|contacten|env[ií]en|manden)[sn]? m[aá]s",
    r"dejen? de (?:escribirme|enviarme|contactarme|escribirnos|enviarnos|contactarnos)",
    r"(?:^|(?<=[.!?] ))baja(?:[.!]+|$)",
    # nl
    r"afmelden",
    r"meld (?:mij|me) af",
    r"uitschrijven",
    r"schrijf (?:mij|me|ons) uit",
    r"verwijder (?:mij|me|ons|mijn (?:gegevens|e-?mailadres|adres))",
    r"haal (?:mij|me|ons) (?:van|uit)",
    r"geen (?:e-?mails|mails|berichten) meer",
    r"stop met (?:mailen|e-?mailen|mij te mailen)",
    r"niet meer (?:mailen|e-?mailen|contacteren|benaderen)",
    # it
    r"cancella(?:mi|temi|rmi|re la mia)",
    r"disiscri\w*",
    r"rimuov(?:etemi|ermi|imi|ete il mio|ere il mio)",
    r"toglie(?:temi|rmi)",
    r"non (?:mi )?(?:scrivete|contattate|inviate|mandate) pi[uù]",
    r"smette(?:te|re) di (?:scrivermi|contattarmi|inviarmi|mandarmi)",
    r"non voglio pi[uù] ricevere",
]

# "remove me from the CC": leaving a conversation, not the list
NOT_UNSUBSCRIBE_AFTER = re.compile(
    r"\s*(?:(?:from|off|out of|de|aus|uit|dalla|dal|da) )?(?:the |this |your |la |le |el |dem |der |de |het )?"
    r"(?:cc|bcc|copy|copie|kopie|copia|carbon copy)(?!\w)"
)

_NAME = r"(?!me |us |you |your )(?:[\w.'-]+[:,]? ){1,3}?"  # someone other than the writer and the rep
_AT = r"(?:at|on|via|instead|directly|[(<\[]?[\w.%+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8})"

# said alone, a referral: the sender is not (or no longer) the one to talk to
REFERRAL_PHRASES = [
    # en
    r"no longer (?:with|at|in|employed|working|work|part of|responsible|handling|the right|in charge)",
    r"(?:i|i've|i have|she|he|she's|he's|they've|they have|has|have) (?:had )?left "
    r"(?:the company|the business|the firm|the organi[sz]ation|\w+[.,]|"
    r"\w+ (?:in|last|at|a few|some|two|three|\d+)(?!\w))",
    r"(?:has|have) moved on",
    r"(?:i'm|i am|he's|she's|he is|she is) (?:now )?retired",
    r"not the (?:right|best|correct|appropriate) (?:person|contact|one)",
    r"wrong (?:person|contact)",
    r"(?:mauvaise personne|mauvais interlocuteur|pas le bon (?:interlocuteur|contact))",
    r"falschen? (?:ansprechpartner\w*|person)",
    r"persona equivocada",
    r"verkeerde (?:persoon|contactpersoon)",
    r"persona sbagliata",
    r"(?:right|best|correct|appropriate) (?:person|contact) (?:is|would be|to (?:talk|speak|reach|contact))",
    r"my new (?:e-?mail|address)",
    r"new e-?mail address",
    # fr
    r"ne (?:suis|travaille|fais|sommes) plus (?:chez|dans|partie|en poste|[àa])",
    r"n'est plus (?:chez|dans|en poste)",
    r"(?:j'ai|il a|elle a|avons) quitt[ée] (?:la soci[ée]t[ée]|l'entreprise|le groupe|\w+)",
    r"pas la bonne personne",
    r"(?:la )?bonne personne (?:est|serait|[àa] contacter)",
    r"ma nouvelle adresse",
    # de
    r"nicht mehr (?:bei|im unternehmen|f[üu]r|in der firma|t[äa]tig)",
    r"(?:habe|hat|haben) (?:das unternehmen|die firma|\w+) verlassen",
    r"nicht (?:der|die) (?:richtige|zust[äa]ndige) (?:ansprechpartner\w*|person)",
    r"(?:der|die) (?:richtige|zust[äa]ndige) (?:ansprechpartner\w*|person|kollege|kollegin) (?:ist|w[äa]re)",
    r"meine neue (?:e-?mail-?)?adresse",
    # es
    r"ya no (?:trabajo|estoy|est[aá]|trabaja|formo parte) (?:en|con|para|de)",
    r"(?:dej[eé]|he dejado|ha dejado) la empresa",
    r"no soy la persona (?:adecuada|indicada|correcta)",
    r"la persona (?:adecuada|indicada|correcta|encargada) es",
    r"mi nueva direcci[oó]n",
    # nl
    r"niet meer (?:werkzaam|in dienst|actief) (?:bij|voor)",
    r"werk (?:niet meer|sinds \w+ niet meer) (?:bij|voor)",
    r"(?:heb|heeft) \w+ verlaten",
    r"niet de (?:juiste|aangewezen) persoon",
    r"de (?:juiste|aangewezen) persoon is",
    r"mijn nieuwe (?:e-?mailadres|adres)",
    # it
    r"non lavoro pi[uù] (?:per|presso|in|con)",
    r"non (?:sono|[eè]) pi[uù] (?:in|presso|con|parte)",
    r"(?:ho|ha) lasciato (?:l'azienda|la societ[aà]|\w+)",
    r"non sono la persona giusta",
    r"la persona giusta [eè]",
    r"il mio nuovo indirizzo",
]
# a referral only with an address in the reply: "contact Jane at jane@...", "cc'ing", "she handles this"
WEAK_REFERRAL_PHRASES = [
    # en
    r"(?:contact|reach out to|get in touch with|talk to|speak (?:to|with)|e-?mail|write to|ping|try|reach) "
    + _NAME
    + _AT,
    r"(?:forward(?:ed|ing)?|pass(?:ed|ing)? (?:this|it|your \w+) (?:on )?to|cc'?(?:ing|'?d|ed)|copying|looping in)",
    r"(?:is|are) (?:in charge of|responsible for|handling|the person|your contact)",
    r"handles? (?:this|that|these)",
    r"(?:\w+'s|his|her|their) (?:e-?mail|e-?mail address|address) is",
    r"send (?:it|this|that|them|the \w+|your \w+) (?:over )?to",
    # fr
    r"(?:contactez|contacter|[ée]crivez [àa]|[ée]crire [àa]|adressez-vous [àa]|voyez avec|voir avec) \w+",
    r"(?:s'occupe|se charge|est en charge|est responsable) (?:de|des|du)",
    r"je (?:transmets|transf[èe]re|mets en copie)",
    # de
    r"wenden sie sich (?:bitte )?an",
    r"wende dich an",
    r"kontaktieren sie (?:bitte )?(?:herrn|frau|meine|meinen|\w+ unter)",
    r"zust[äa]ndig (?:ist|f[üu]r|sind)",
    r"leite (?:ich|es|das|ihre \w+) (?:an \w+ )?weiter",
    r"in kopie",
    # es
    r"(?:contacte|contacta|p[oó]ngase en contacto|escriba|escribe|dir[ií]jase) (?:con|a) \w+",
    r"se encarga de",
    r"es (?:el|la) responsable",
    r"en copia",
    # nl
    r"neem (?:contact op met|dan contact op met)",
    r"contact opnemen met",
    r"is verantwoordelijk voor",
    r"stuur ik (?:door|het door)",
    r"in de cc",
    # it
    r"(?:contatta|contatti|contattate|scriva a|scrivete a|si rivolga a|rivolgersi a|rivolgetevi a) \w+",
    r"si occupa (?:di|lui|lei)",
    r"[eè] (?:il|la) responsabile",
    r"in copia",
]

NOT_INTERESTED_PHRASES = [
    # en
    r"(?:not|\w+n't) interested",
    r"no longer interested",
    r"no interest",
    r"not (?:a|the) (?:good |right )?fit",
    r"no,? thanks?",
    r"no thank you",
    r"thanks?,? but no",
    r"(?:we're|we are|i'm|i am) all set",
    r"all set,? thanks",
    r"(?:we're|we are|i'm|i am) (?:happy|good|fine|covered|sorted) with",
    r"already (?:have|use|using|work with|working with)",
    r"(?:don't|do not|doesn't) need",
    r"no need for",
    r"not (?:looking|in the market)",
    r"not a priority",
    r"(?:we'll|we will|i'll|i will) pass",
    r"pass on this",
    r"not for us",
    r"no budget",
    r"(?:don't|do not) have (?:the |any )?budget",
    r"^(?:no|nope|nein|non|nee)[.!]*$",  # a bare "No." (alone on its line)
    # fr
    r"pas int[ée]ress[ée]e?s?",
    r"(?:[çc]a|cela) ne (?:m'|nous )int[ée]resse pas",
    r"ne m'int[ée]resse pas",
    r"ne nous int[ée]resse pas",
    r"pas d'int[ée]r[êe]t",
    r"aucun int[ée]r[êe]t",
    r"non,? merci",
    r"pas besoin",
    r"pas pour (?:nous|moi)",
    r"(?:nous avons|on a|j'ai) d[ée]j[àa] (?:un|une|ce|notre)",
    r"d[ée]j[àa] [ée]quip[ée]s?",
    # de
    r"kein(?:e|en)? (?:interesse|bedarf)",
    r"nicht interessiert",
    r"nein,? danke",
    r"brauchen (?:wir|das|so etwas) nicht",
    r"(?:haben|nutzen) (?:bereits|schon) (?:eine|einen|ein)",
    r"(?:bereits|schon) versorgt",
    r"passt nicht (?:zu uns|für uns)",
    # es
    r"no (?:me|nos) interesa",
    r"no estoy interesad[oa]",
    r"no estamos interesad[oa]s",
    r"sin inter[eé]s",
    r"no,? gracias",
    r"no (?:lo )?necesitamos",
    r"ya (?:tenemos|contamos con|trabajamos con)",
    # nl
    r"geen (?:interesse|behoefte)",
    r"niet ge[ïi]nteresseerd",
    r"nee,? (?:bedankt|dank je|dank u)",
    r"(?:hebben|gebruiken) al (?:een|onze)",
    r"niet nodig",
    r"(?:liever|graag) niet",
    # it
    r"non (?:sono|siamo) interessat[oaie]",
    r"non (?:mi|ci) interessa",
    r"nessun interesse",
    r"no,? grazie",
    r"non abbiamo bisogno",
    r"abbiamo gi[aà] (?:un|una|il|la)",
    r"non fa per (?:noi|me)",
]

POSITIVE_PHRASES = [
    # en
    r"sounds (?:good|great|interesting|like a plan)",
    r"let's (?:talk|chat|connect|meet|speak|set up|schedule|do it|book)",
    r"let us (?:talk|meet|schedule)",
    r"(?:book|schedule|set up|arrange|organi[sz]e) (?:a|some|the) (?:call|meeting|time|demo|chat)",
    r"send (?:me |us |over )?(?:some |more )?(?:info|information|details|a deck|pricing|more)",
    r"happy to (?:chat|talk|connect|meet|learn|hop|discuss|take a look)",
    r"(?:i'm|i am|we're|we are) interested",
    r"interested in (?:learning|hearing|a demo|talking|a call|knowing|seeing)",
    r"tell me more",
    r"(?:would|\w+'d) (?:love|like) to",
    r"(?:what|which) (?:time|day|times|days) works?",
    r"works for (?:me|us)",
    r"(?:i'm|i am|we're|we are) (?:free|available)",
    r"count (?:me|us) in",
    r"yes,? please",
    r"(?:call|ring|phone) (?:me|us)",
    r"how about (?:monday|tuesday|wednesday|thursday|friday|tomorrow|next)",
    # fr
    r"d'accord pour (?:un |une )?(?:appel|[ée]change|rendez-vous|rdv|call|r[ée]union|d[ée]mo)",
    r"(?:[çc]a|cela) (?:m'|nous )int[ée]resse",
    r"(?:je suis|nous sommes) int[ée]ress[ée]e?s?",
    r"int[ée]ress[ée]e?s? par",
    r"envoye[zr](?:-moi|-nous)? (?:plus d'|des |vos )?(?:informations|infos|d[ée]tails|documentation|tarifs)",
    r"(?:prenons|fixons|planifions|organisons|caler|calons) (?:un |une )?"
    r"(?:rendez-vous|rdv|appel|call|cr[ée]neau|r[ée]union)",
    r"avec plaisir",
    r"volontiers",
    r"bonne id[ée]e",
    r"(?:je suis|nous sommes) disponibles?",
    r"pourquoi pas",
    # de
    r"klingt (?:gut|interessant|spannend)",
    r"gerne?",
    r"lassen sie uns (?:sprechen|telefonieren|reden|treffen)",
    r"(?:termin|telefonat|gespr[äa]ch|call) (?:vereinbaren|ausmachen|machen)",
    r"schicken sie (?:mir|uns) (?:gerne |bitte )?(?:mehr |weitere )?(?:infos|informationen|unterlagen|details)",
    r"(?:bin|sind) interessiert",
    r"interessiert (?:mich|uns)",
    r"mehr erfahren",
    # es
    r"suena (?:bien|interesante)",
    r"(?:me|nos) interesa",
    r"hablemos",
    r"(?:estoy|estamos) interesad[oa]s?",
    r"(?:agendar|programar|organizar|concertar|coordinar) una (?:llamada|reuni[oó]n|cita|demo)",
    r"(?:env[ií]e(?:me|nos)|env[ií]a(?:me|nos)|m[aá]nde(?:me|nos)) (?:m[aá]s )?(?:informaci[oó]n|info|detalles)",
    r"con (?:mucho )?gusto",
    r"encantad[oa]s?",
    # nl
    r"klinkt (?:goed|interessant)",
    r"lijkt (?:me|mij|ons) (?:goed|interessant)",
    r"laten we (?:bellen|afspreken|praten)",
    r"(?:afspraak|belafspraak|gesprek|call) (?:inplannen|maken|plannen)",
    r"stuur (?:me|mij|ons) (?:meer )?(?:info|informatie)",
    r"graag",
    r"(?:ben|zijn) ge[ïi]nteresseerd",
    # it
    r"mi sembra (?:una buona idea|interessante)",
    r"sentiamoci",
    r"parliamone",
    r"(?:sono|siamo) interessat[oaie]",
    r"(?:fissare|organizzare|programmare) una (?:chiamata|call|riunione|demo)",
    r"(?:mi|ci) interessa",
    r"(?:mandami|mandatemi|inviatemi|inviami) (?:pi[uù] |maggiori )?(?:informazioni|info|dettagli)",
    r"volentieri",
    r"con piacere",
    # a short yes as the first word of the reply
    r"^(?:yes|sure|absolutely|definitely|oui|ja|s[íì]|si,|certo|certainement|claro)(?!\w)",
]


def _compile(phrases):
    return re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join(phrases), re.MULTILINE)


UNSUBSCRIBE_RE = _compile(UNSUBSCRIBE_PHRASES)
REFERRAL_RE = _compile(REFERRAL_PHRASES)
WEAK_REFERRAL_RE = _compile(WEAK_REFERRAL_PHRASES)
NOT_INTERESTED_RE = _compile(NOT_INTERESTED_PHRASES)
POSITIVE_RE = _compile(POSITIVE_PHRASES)

# negation among the words just before a match, in the same clause
NEGATION_RE = re.compile(
    r"(?<!\w)(?:not|never|nor|no need|no reason|without|pas|jamais|nicht|kein\w*|nie|niemals|nunca|jam[aá]s|"
    r"tampoco|niet|geen|nooit)(?!\w)|n't(?!\w)|"
    # "no" / "non" negate a verb ("no quiero darme de baja", "non cancellatemi"), not when they answer
    # ("no, ...", "no please ...", "non merci")
    r"(?<!\w)non?(?!\w)(?!\s*(?:[,.!;:-]|$|please|pls|por favor|per favore|thanks|thank|gracias|grazie|merci|danke|"
    r"bedankt))"
)
CLAUSE_END_RE = re.compile(
    r"[.!?;:,()\n]|(?<!\w)(?:but|however|though|although|mais|cependant|aber|jedoch|sondern|pero|sino|maar|echter|ma|"
    r"per[oò]|tuttavia)(?!\w)"
)
NEGATION_WINDOW_CHARS = 60  # look this far back for the clause ...
NEGATION_WINDOW_WORDS = 3  # ... and at its last words

# ---------------------------------------------------------------------------
# Quoted original, forwarded headers, signatures
# ---------------------------------------------------------------------------

_WROTE = r"(?:wrote|a [ée]crit|schrieb|escribi[oó]|schreef|ha scritto)"
ATTRIBUTION_RE = re.compile(  # "On Mon, Mar 2, 2026 at 10:00 Bob <bob@x.com> wrote:" and its translations
    r"(?:on|le|am|el|op|il)(?!\w)[^\n]{0,300}?(?<!\w)%s(?!\w)[^\n]{0,200}:\s*$" % _WROTE, re.IGNORECASE
)
SHORT_ATTRIBUTION_RE = re.compile(r"(?<!\w)%s\s*:\s*$" % _WROTE, re.IGNORECASE)  # "Bob <bob@x.com> wrote:"
ATTRIBUTION_START_RE = re.compile(r"(?:on|le|am|el|op|il)(?!\w)", re.IGNORECASE)
SEPARATOR_RE = re.compile(
    r"(?:-{2,}|_{2,}|=+)\s*(?:original message|forwarded message|ursprüngliche nachricht|weitergeleitete nachricht|"
    r"message d'origine|message transf[ée]r[ée]|mensaje original|mensaje reenviado|oorspronkelijk bericht|"
    r"doorgestuurd bericht|messaggio originale|messaggio inoltrato)\s*(?:-{2,}|_{2,}|=+)?\s*$"
    r"|_{10,}\s*$"  # Outlook's rule above the headers
    r"|(?:begin forwarded message|d[ée]but du message r[ée]exp[ée]di[ée]|anfang der weitergeleiteten nachricht|"
    r"inicio del mensaje reenviado|begin doorgestuurd bericht|inizio messaggio inoltrato)\s*:",
    re.IGNORECASE,
)
SIGNATURE_RE = re.compile(
    r"--\s*$"  # RFC 3676 signature delimiter
    r"|(?:sent from my|sent from outlook|get outlook for|envoy[ée] de mon|envoy[ée] depuis|obtenir outlook|"
    r"von meinem \w+ gesendet|gesendet von|enviado desde mi|verzonden (?:vanaf|met) mijn|inviato da)",
    re.IGNORECASE,
)
VALEDICTION_RE = re.compile(
    r"(?:best|best regards|kind regards|warm regards|regards|best wishes|many thanks|cheers|sincerely|yours|"
    r"cordialement|bien cordialement|bien [àa] vous|salutations|"
    r"mit freundlichen gr[üu](?:ß|ss)en|mfg|viele gr[üu](?:ß|ss)e|beste gr[üu](?:ß|ss)e|liebe gr[üu](?:ß|ss)e|"
    r"freundliche gr[üu](?:ß|ss)e|gru(?:ß|ss)|saludos|un saludo|atentamente|cordiales saludos|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|groet|mvg|"
    r"gr[üu](?:ß|ss)e|cordiali saluti|distinti saluti|saluti|un saluto)[\s,.!]*$",
    re.IGNORECASE,
)
_HEADER_NAME = r"\*?\s*(?:%s)\s*\*?\s*:"
HEADER_FROM_RE = re.compile(_HEADER_NAME % r"from|de|von|van|da", re.IGNORECASE)
HEADER_NEXT_RE = re.compile(
    _HEADER_NAME % r"sent|date|to|subject|envoy[ée]|[àa]|objet|gesendet|datum|an|betreff|enviado|fecha|para|asunto|"
    r"verzonden|aan|onderwerp|inviato|data|a|oggetto",
    re.IGNORECASE,
)
HEADER_LOOKAHEAD_LINES = 4
ATTRIBUTION = "attribution"
ORIGINAL = "original"
MAX_TEXT_CHARS = 10000
MAX_ATTRIBUTION_LINE = 500

REPLY_SUBJECT_RE = re.compile(r"\s*(?:re|aw|wg|tr|fw|fwd|rv|sv|antw|r|rif|vs)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u00a0": " ", "\u202f": " "})

EMAIL_RE = re.compile(
    # bounded parts, and no start inside a local part: linear even on 200 KB without a space
    r"(?<![\w.%+'-])[\w.%+'-]{1,64}@"
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){1,8}",
    re.IGNORECASE,
)


def classify_reply(text, sender=None, subject=None, ignore=()):
    """The :class:`Classification` of a plain-text reply.

    :param text: the reply's body as plain text (quoted original included:
        it is cut here)
    :param sender: the replying address (``"Jane <jane@acme.com>"`` or
        ``"jane@acme.com"``), never returned as a referral
    :param subject: the reply's subject; read only when it is not a reply
        subject ("Re: ..."), e.g. an email titled "Unsubscribe"
    :param ignore: more addresses never returned (the rep's, the catchall)
    """
    body = new_text(text or "", MAX_TEXT_CHARS)
    if subject and not REPLY_SUBJECT_RE.match(subject):
        body = "%s\n%s" % (subject, body)
    body = _normalize(body)
    referral, emails = _referral(body, sender, ignore)
    if _found(UNSUBSCRIBE_RE, body, NOT_UNSUBSCRIBE_AFTER):
        return Classification(UNSUBSCRIBE, emails)
    if referral:
        return Classification(REFERRAL, emails)
    if _found(NOT_INTERESTED_RE, body):
        return Classification(NOT_INTERESTED)
    if _found(POSITIVE_RE, body):
        return Classification(POSITIVE)
    return Classification(NEUTRAL)


def classify_html_reply(html, sender=None, subject=None, ignore=()):
    """:func:`classify_reply` of an HTML body (what Odoo's mail gateway puts
    in ``message_dict['body']``): see :func:`html_to_text`."""
    return classify_reply(html_to_text(html or "", MAX_TEXT_CHARS), sender=sender, subject=subject, ignore=ignore)


def _referral(body, sender, ignore):
    """(is it a referral, the referred addresses): a strong phrase suffices,
    a weak one needs an address."""
    strong = _found(REFERRAL_RE, body)
    if not (strong or _found(WEAK_REFERRAL_RE, body)):
        return False, ()
    excluded = set(find_emails(" ".join(address for address in (sender, *ignore) if address)))
    emails = tuple(address for address in find_emails(body) if address not in excluded)
    return strong or bool(emails), emails


def find_emails(text):
    """The email addresses in ``text``, lower-cased, each once, in order.

    >>> find_emails("Write to Jane.Roe@ACME.com (mailto:jane.roe@acme.com) or bob@acme.co.uk.")
    ('jane.roe@acme.com', 'bob@acme.co.uk')
    """
    found = {}
    for match in EMAIL_RE.finditer(text):
        found.setdefault(match.group().strip(".'").lower(), None)
    return tuple(found)


def new_text(text, limit=None):
    """The part of a plain-text reply its sender wrote: the lines before the
    quoted original ("On ... wrote:" and its translations, "-----Original
    Message-----", an Outlook "From: / Sent:" block, a forwarded message),
    without ``>`` quoted lines, cut at the signature ("-- ", "Sent from my
    iPhone", a closing "Best regards," after some text). A reply that starts
    with an attribution line followed by ``>`` lines answers below or between
    them: its unquoted lines are kept. With ``limit``, its first ``limit``
    characters at most.

    >>> new_text("Not now, thanks.\\nBest,\\nJane\\n\\nOn Mon, Mar 2, 2026 at 9:00 Bob <bob@x.com> wrote:\\n> Hi")
    'Not now, thanks.'
    """
    lines = text.splitlines()
    kept = []
    size = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        start = _quote_start(stripped, lines, index)
        if start == ATTRIBUTION and not kept and _quoted_next(lines, index):
            continue  # bottom-posted or interleaved: the quote comes first, the answer below it
        if start or (kept and VALEDICTION_RE.match(stripped)):
            break
        if stripped or kept:
            kept.append(line)
            size += len(line) + 1
            if limit is not None and size >= limit:
                break
    return "\n".join(kept).strip()[:limit]


def _quote_start(stripped, lines, index):
    """What the line ``lines[index]`` starts: ATTRIBUTION ("On ... wrote:"),
    ORIGINAL (a separator, a signature, an Outlook header block), or None."""
    if SEPARATOR_RE.match(stripped) or SIGNATURE_RE.match(stripped):
        return ORIGINAL
    if len(stripped) <= MAX_ATTRIBUTION_LINE:
        if SHORT_ATTRIBUTION_RE.search(stripped):
            return ATTRIBUTION
        if ATTRIBUTION_START_RE.match(stripped):
            # the attribution line may be wrapped over the next one or two
            joined = stripped
            for following in ["", *lines[index + 1 : index + 3]]:
                joined = "%s %s" % (joined, following.strip()) if following else joined
                if len(joined) > MAX_ATTRIBUTION_LINE:
                    break
                if ATTRIBUTION_RE.match(joined):
                    return ATTRIBUTION
    if HEADER_FROM_RE.match(stripped):
        following = lines[index + 1 : index + 1 + HEADER_LOOKAHEAD_LINES]
        if any(HEADER_NEXT_RE.match(line.strip()) for line in following):
            return ORIGINAL
    return None


def _quoted_next(lines, index):
    """Is the next non-blank line after ``index`` a ``>`` quoted one?"""
    for line in lines[index + 1 : index + 1 + HEADER_LOOKAHEAD_LINES]:
        if line.strip():
            return line.strip().startswith(">")
    return False


def _normalize(text):
    """Lower case, one kind of apostrophe, one space between words, a line
    break between paragraphs (a wrapped line is joined to the next one)."""
    text = text.translate(APOSTROPHES).lower()
    paragraphs = re.split(r"\n[ \t]*\n", text)
    return "\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


def _found(pattern, text, not_after=None):
    """True when ``pattern`` matches somewhere without a negation before it
    (and without ``not_after`` right after it)."""
    for match in pattern.finditer(text):
        if not_after is not None and not_after.match(text, match.end()):
            continue
        if not _negated(text, match.start()):
            return True
    return False


def _negated(text, start):
    before = text[max(0, start - NEGATION_WINDOW_CHARS) : start]
    clause = CLAUSE_END_RE.split(before)[-1]
    words = clause.split()[-NEGATION_WINDOW_WORDS:]
    # "_" stands for the match: a "no" right before it is no answer ("no quiero", "non cancellatemi")
    return bool(words) and bool(NEGATION_RE.search(" ".join(words + ["_"])))


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre "
    "section table tbody td th thead tr ul".split()
)
HIDDEN_TAGS = frozenset("head script style template title".split())
# the original starts here: nothing after it is new text
ORIGINAL_CLASSES = ("gmail_quote", "gmail_extra", "yahoo_quoted", "moz-cite-prefix", "outlookmessageheader")
ORIGINAL_IDS = (
    "divrplyfwdmsg",
    "x_divrplyfwdmsg",
    "appendonsend",
    "stopspelling",
    "mail-editor-reference-message-container",
)
# a quote or a signature: this element is not new text
QUOTE_CLASSES = ("gmail_signature", "moz-signature", "odoo_signature_wrapper")
QUOTE_IDS = ("signature",)


def html_to_text(html, limit=None):
    """The visible text of an HTML reply without its quoted parts: nothing
    from the start of the original on (the quote wrappers of Gmail, Outlook,
    Yahoo and Thunderbird, kept by id or class), and no element Odoo marked
    ``data-o-mail-quote`` (its sanitizer does so for quotes and signatures,
    and strips classes), no ``<blockquote>``, no signature wrapper. Block
    elements end lines. Parsed with lxml (linear, like Odoo's sanitizer).
    With ``limit``, the text stops after about ``limit`` characters.

    >>> html_to_text('<div>No thanks.</div><div class="gmail_quote">On Mon Bob wrote:'
    ...              '<blockquote>Hi, <a href="#">unsubscribe</a></blockquote></div>')
    'No thanks.'
    """
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):  # nothing but markup, or no text at all
        return ""
    parts = []
    pre_depth = size = 0
    stack = [(root, False)]
    while stack and (limit is None or size < limit):
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None  # None: a comment or a processing instruction
        if closing:
            pre_depth -= tag == "pre"
            parts.append("\n" if tag in BLOCK_TAGS else "")
        elif tag is not None:
            if _starts_original(node):
                break
            if tag not in HIDDEN_TAGS and not _is_quote(node):
                pre_depth += tag == "pre"
                parts.append("\n" if tag in BLOCK_TAGS else "")
                parts.append(_html_text(node.text, pre_depth, limit))
                size += len(parts[-1])
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node))
                continue
        parts.append(_html_text(node.tail, pre_depth, limit))
        size += len(parts[-1])
    return re.sub(r"[ \t]*\n\s*\n\s*", "\n\n", "".join(parts)).strip()


def _html_text(text, pre_depth, limit):
    if not text:
        return ""
    text = text[:limit]
    return text if pre_depth else re.sub(r"\s+", " ", text)


def _starts_original(node):
    classes = (node.get("class") or "").lower()
    return (node.get("id") or "").lower() in ORIGINAL_IDS or any(word in classes for word in ORIGINAL_CLASSES)


def _is_quote(node):
    if node.tag == "blockquote" or node.get("data-o-mail-quote") is not None:
        return True
    classes = (node.get("class") or "").lower()
    return (node.get("id") or "").lower() in QUOTE_IDS or any(word in classes for word in QUOTE_CLASSES)
