/**
 * The prompt-injection rule table: `[family, weight, anchors, regex source]` per rule. Weights are
 * calibrated on the development sets (tests/corpus, see docs/policies.md): a single strong signal (≥ 0.5)
 * blocks at the default threshold; weak signals (< 0.5) need company. Anchors are words one of which must
 * occur for the rule to run (the prefilter in `prompt_injection.ts`); every regex has bounded repeats only.
 *
 * The structural rules (`STRUCTURE` section) generalise by the shape of an attack rather than by phrase:
 * a nullifying verb or state aimed at the model's own instructions, a request to reveal them, a demand to
 * comply without limits, a persona defined by having no rules or by revealing secrets, and imperatives
 * addressed to an AI inside documents, tool results and tool definitions. Their vocabulary classes are the
 * `*_V`, `*_STATE` and `*_T` constants below.
 *
 * One file: a table of data with the vocabulary it is written in.
 *
 * @module
 */

const QUAL =
  "(?:all|any|every|each|the|your|these|those|of|previous|prior|above|earlier|preceding|foregoing|original|initial|current|existing|system|safety|content|ethical|moral|security|old|other|given|developer|hidden|and|former|standing)";
/** Qualifiers that make the target the model's own (`the`, `these`, `of` alone do not: "ignore the instructions on the exam"). */
const QUAL_OWN =
  "(?:all|any|every|each|your|previous|prior|above|earlier|preceding|foregoing|original|initial|current|existing|system|safety|content|ethical|moral|security|developer|hidden|former|standing)";
const TARGET =
  "(?:instructions?|prompts?|rules|directions|guidelines|guidance|programming|guardrails|directives?|constraints|restrictions|policies|policy|commands|context|training|orders|filters)";
const VERB =
  "(?:ignore|disregard|forget|override|bypass|abandon|discard|set aside|don't follow|do not follow|stop following|neglect|overrule|erase|delete|throw away|pay no attention to|skip)";
const VERB_ANCHORS = [
  "ignore",
  "disregard",
  "forget",
  "override",
  "bypass",
  "abandon",
  "discard",
  "aside",
  "follow",
  "neglect",
  "overrule",
  "erase",
  "delete",
  "throw away",
  "attention",
  "skip",
];
const LEAK_VERB =
  "(?:reveal|print|show|output|repeat|leak|display|dump|expose|disclose|tell me|give me|write out|spell out|paste|recite|return)";
const LEAK_OWNER =
  "(?:your |the (?:hidden|secret|initial|original|internal|confidential|system|developer|above|preceding) |(?:hidden|secret|initial|original|internal|confidential) )";
const NO_LIMITS = "(?:rules|restrictions|limits|filters|guidelines|boundaries|morals|ethics)";

// Non-English (es/fr/de/it/pt) verbs, targets and qualifiers; accents optional where people drop them.
const ML_VERB =
  "(?:ignora|ignorad|ignorar|ignore|ignorez|ignoriere|ignorier|ignorieren sie|ignori|olvida|olvide|olvidad|olvidar|oublie|oubliez|vergiss|vergessen sie|dimentica|dimentichi|esque[çc]a|esquece|desconsidere|desconsidera|descarta|descartez|omite|missachte|missachten sie|trascura|ne tiens pas compte|ne tenez pas compte|haz caso omiso|non seguire|n[ãa]o siga|no sigas|befolge nicht)";
const ML_TARGET =
  "(?:instrucciones|instructions|instru[çc][õo]es|istruzioni|anweisungen|instruktionen|consignes|indicaciones|indicazioni|reglas|r[èe]gles|regole|regras|regeln|directrices|directives|direttive|diretrizes|richtlinien|vorgaben|[óo]rdenes|befehle|orienta[çc][õo]es|normas|norme)";
const ML_POST =
  "(?:anteriores|previas|pr[ée]vias|precedentes|pr[ée]c[ée]dentes|ant[ée]rieures|ci-dessus|precedenti|anteriori|iniziali|initiales|iniciales|iniciais|originales|originali|originais|d'origine|de arriba|di sopra|acima|del sistema|do sistema|du syst[èe]me|di sistema|de sistema)";
const ML_PRE =
  "(?:vorherigen|bisherigen|vorigen|obigen|fr[üu]heren|urspr[üu]nglichen|alten|vorangegangenen|precedenti|anteriori|anteriores|pr[ée]c[ée]dentes|precedentes)";
const ML_LEAK_VERB =
  "(?:muestra|mu[ée]strame|ens[ée][ñn]ame|revela|rev[ée]lame|dime|imprime|repite|escribe|copia|comparte|montre|montrez|affiche|affichez|r[ée]v[èe]le|r[ée]v[ée]lez|donne|donnez|r[ée]p[èe]te|r[ée]p[ée]tez|[ée]cris|zeige|zeig|gib|nenne|verrate|wiederhole|schreibe|drucke|mostra|mostrami|rivela|rivelami|dimmi|stampa|ripeti|scrivi|mostre|revele|diga|imprima|repita|escreva|compartilhe)";
const ML_SYSPROMPT =
  "(?:prompt (?:del|de|do|di|du) (?:sistema|syst[èe]me)|prompt (?:syst[èe]me|di sistema)|system-?prompt|systemanweisung|systemnachricht|invite syst[èe]me|mensaje del sistema|messaggio di sistema|mensagem do sistema|instrucciones (?:del sistema|ocultas|originales|iniciales)|istruzioni (?:di sistema|del sistema|nascoste|originali|iniziali)|instru[çc][õo]es (?:do sistema|ocultas|originais|iniciais)|instructions (?:syst[èe]me|cach[ée]es|initiales|d'origine)|consignes (?:syst[èe]me|initiales|cach[ée]es)|urspr[üu]nglichen anweisungen|versteckten anweisungen|geheimen anweisungen)";

/**
 * Built-in rules as `[family, weight, anchors, regex source]`. Weights are calibrated on
 * tests/corpus (see docs/policies.md): a single strong signal (≥ 0.5) blocks at the
 * default threshold; weak signals (< 0.5) need company.
 */
/**
 * A fake boundary counts fully only when what follows it addresses the model or its rules (a `[SYSTEM]`
 * log prefix, an XML `<system>` config element or a `### Instructions` recipe heading does not).
 */
const ADDRESSED =
  "[\\s\\S]{0,100}?\\b(?:you are|you're|you must|you will now|you have no|root|sudo|superuser|jailbreak|assistant|ai|model|ignore|disregard|forget|reveal|override|grant(?:ed|s)?|disabled?|unrestricted|no restrictions|restrictions|polic(?:y|ies)|rules|admin|administrator|access|comply|obey|must|safety|filters?|trusted|authori[sz]ed|no longer|without|maintenance mode|developer mode|debug mode|environment variables|secrets?|hidden|confidential|passwords?|credentials|api keys?|forward|send|exfiltrate|transfer|delete|upload)\\b";

// ---- STRUCTURE: vocabulary classes of the structural rules. ----

/**
 * Up to six words between two parts of a rule, within one sentence. Word steps (not a character window)
 * keep the cost of a rule to a few attempts per candidate position.
 */
const GAP = "(?:[^\\w.!?\\n]+\\w+){0,6}?[^\\w.!?\\n]+";

/** Verbs that nullify instructions. */
const NULL_V =
  "(?:ignore|ignoring|disregard|forget|drop|discard|scrap|cancel|revoke|void|nullify|abandon|override|overwrite|overrule|bypass|suspend|lift|disable|deactivate|erase|supersede|(?<=\\b(?:set|put) )aside|(?<=\\bthrow )out|(?<=\\bget )rid of|(?<=\\bstop )(?:following|obeying|applying|using|respecting)|(?<=\\b(?:do not|don't|no longer|never) )(?:follow|obey|apply|respect|adhere to|comply with|listen to)|(?<=\\bpay )no attention to|(?<=\\b(?:turn|switch) )off)";
const NULL_V_ANCHORS = [
  "ignore",
  "ignoring",
  "disregard",
  "forget",
  "drop",
  "discard",
  "scrap",
  "cancel",
  "revoke",
  "void",
  "nullify",
  "abandon",
  "override",
  "overwrite",
  "overrule",
  "bypass",
  "suspend",
  "lift",
  "disable",
  "deactivate",
  "erase",
  "supersede",
  "aside",
  "throw",
  "rid",
  "following",
  "obeying",
  "applying",
  "respecting",
  "follow",
  "obey",
  "apply",
  "respect",
  "adhere",
  "comply",
  "listen",
  "attention",
  "turn",
  "switch",
  "hold",
  "pretend",
];
/** States of nullified instructions. */
const NULL_STATE =
  "(?:void|null|invalid|revoked|cancell?ed|obsolete|outdated|superseded|replaced|lifted|suspended|disabled|removed|deactivated|expired|overridden|turned off|switched off|on hold|aside|no longer (?:apply|applies|valid|in effect|in force|relevant|active|binding|matter|exist)|(?:do not|don't|does not|doesn't) apply(?: anymore| any more| here| now| to (?:you|this))?|(?:have|has) (?:expired|been lifted|been removed|been revoked|been cancell?ed|been replaced))";
const NULL_STATE_ANCHORS = [
  "void",
  "null",
  "invalid",
  "revoked",
  "cancelled",
  "canceled",
  "obsolete",
  "outdated",
  "superseded",
  "replaced",
  "lifted",
  "suspended",
  "disabled",
  "removed",
  "deactivated",
  "expired",
  "overridden",
  "turned",
  "switched",
  "longer",
  "apply",
  "applies",
  "hold",
  "aside",
];
/** What the model is governed by. */
const GOV_T =
  "(?:instructions?|prompts?|system prompt|system message|rules|guidelines|guidance|directives?|programming|configuration|restrictions|constraints|policies|policy|filters?|guardrails|safeguards|limitations|limits|orders|commands|training|boundaries|content policy|safety (?:rules|checks|settings|measures|protocols)|ethics|principles)";
/** Owners that make the governing text the model's own. */
const OWN =
  "(?:your|yours|(?:system|developer|operator|admin|assistant|model|ai)'?s?|(?:all|any|every|each)(?: of)?(?: the| your| these| those)?|(?:previous|prior|earlier|above|preceding|foregoing|original|initial|existing|current|hidden|safety|content|system|developer|operator|ethical|built-in|standing))";
/** The model's own governing text: owned, located ("above", "you were given") or in the system prompt. */
const OWNED_T =
  `(?:${OWN} (?:[a-z'-]+ ){0,3}${GOV_T}|${GOV_T} (?:above|so far|before this|(?:that )?you(?:'ve| have)? (?:were |been |have been )?(?:given|told|received|configured|programmed|trained|provided|set up)(?: with)?|in your (?:system prompt|system message|configuration|prompt|instructions)|of (?:the|your) (?:system|developer|operator|creators?)|(?:placed|put|imposed|set) on you|(?:that )?your (?:operator|developers?|creators?|admins?|company|owners?) (?:gave|has given|have given|set|wrote|provided|configured)(?: you)?)|(?:whatever|everything|anything|all) (?:that )?you (?:were|have been|'ve been|got) (?:told|given|instructed|taught))`;
/** Verbs that ask for text to be shown. */
const SHOW_V =
  "(?:(?:reveal|show|print|output|repeat|echo|quote|copy|dump|paste|recite|tell|give|list|share|spell out|display|write out|write down|translate|summari[sz]e|encode|rewrite|send|read out|read aloud|disclose|expose|leak|type out|reproduce)(?:s|es|ed|d|ing)?|(?:quot|shar|recit|reproduc|disclos|expos|encod|translat|summari[sz]|rewrit|past|repeat)ing|what(?:'s| is| are| were| was)|what exactly)";
/** Secret governing text of the model. */
const SECRET_T =
  "(?:your (?:(?:own|exact|full|complete|entire|whole|original|initial|hidden|secret|confidential|internal|real|actual|verbatim|first|developer|system|pre|operator) ){0,3}(?:system prompt|system message|instructions|prompt|pre-?prompt|rules|guidelines|configuration|directives|context window|setup|guardrails|policies)|the (?:(?:exact|full|complete|entire|whole|first) )?(?:original|initial|hidden|secret|confidential|internal|developer|system|pre|operator)(?: [a-z]+){0,2} (?:prompt|role|message|instructions|rules|guidelines|configuration|directives)(?! (?:for|of|on|in|from|about|to|with) (?!you\\b|your\\b|this (?:chat|conversation|session)))|the system prompt|(?:instructions|prompt|configuration|rules|directives|guidelines|settings)(?: [a-z]+)? (?:that )?you (?:were|have been|got|are) (?:given|initiali[sz]ed|deployed|started|configured|told|programmed|provided|launched|set up|running with|operating under)|(?:hidden|secret|confidential|internal|initial|original) (?:instructions|prompt|rules|configuration|directives)(?! (?:for|of|on|in|from|about|to|with) (?!you\\b|your\\b|this (?:chat|conversation|session))))";
/** {@link SECRET_T} without its alternatives that start with "the" (as the first part of a rule, "the" would be a leading word everywhere). */
const SECRET_T_LEAD =
  "(?:your (?:(?:own|exact|full|complete|entire|whole|original|initial|hidden|secret|confidential|internal|real|actual|verbatim|first|developer|system|pre|operator) ){0,3}(?:system prompt|system message|instructions|prompt|pre-?prompt|rules|guidelines|configuration|directives|context window|setup|guardrails|policies)|(?:instructions|prompt|configuration|rules|directives|guidelines|settings)(?: [a-z]+)? (?:that )?you (?:were|have been|got|are) (?:given|initiali[sz]ed|deployed|started|configured|told|programmed|provided|launched|set up|running with|operating under)|(?:hidden|secret|confidential|internal|initial|original) (?:instructions|prompt|rules|configuration|directives)(?! (?:for|of|on|in|from|about|to|with) (?!you\\b|your\\b|this (?:chat|conversation|session))))";
const SECRET_ANCHORS = [
  "prompt",
  "instructions",
  "rules",
  "guidelines",
  "configuration",
  "directives",
  "context",
  "setup",
  "guardrails",
  "policies",
  "message",
  "role",
];
/** Assistant-like addressees. */
const AI_N =
  "(?:ai [a-z]+ (?:reviewers?|readers?|agents?|tools?|bots?|assistants?|screeners?)|ai|a\\.i\\.|assistants?|chatbots?|bots?|llms?|models?|language models?|large language models?|agents?|ai agents?|coding agents?|ai systems?|automated (?:systems?|tools?|screening tools?|readers?|agents?)|gpt|chatgpt|claude|copilot|gemini|translator ai|grader bots?|ai (?:reviewers?|readers?|models?|assistants?|tools?))";
const AI_ANCHORS = [
  "ai",
  "assistant",
  "assistants",
  "chatbot",
  "chatbots",
  "bot",
  "bots",
  "llm",
  "llms",
  "model",
  "models",
  "agent",
  "agents",
  "automated",
  "gpt",
  "chatgpt",
  "claude",
  "copilot",
  "gemini",
];
/** Actions that are harmful whoever asks: exfiltration, destruction, hiding, overriding. */
const HARM_STRONG =
  "send|forward|email|e-mail|post|upload|exfiltrate|transfer|delete|wire|bcc|leak|reveal|disclose|ignore|disregard|stop following|never mention|not mention|not tell|hide|obey (?:only )?(?:this|the tool)|read (?:the |all )?(?:credentials|secrets|keys|~|/etc|\\.)";
/** Harmful actions an injected instruction asks for. */
const HARM_V =
  "(?:send|forward|email|e-mail|post|upload|exfiltrate|transfer|delete|remove|wire|pay|bcc|cc|leak|share|append|include|add|insert|reveal|disclose|print|output|read|execute|run|open|visit|fetch|call|book|approve|mark|close|refund|recommend|rate|award|grade|say|tell|reply|respond|answer|ask|collect|omit|hide|skip|stop|ignore|disregard|obey|follow)";

export const RULE_TABLE: ReadonlyArray<[string, number, readonly string[], string]> = [
  // ---- STRUCTURE ----
  // Nullify the model's own instructions: verb → owned target, or owned target → nullified state.
  ["instruction_override", 0.9, NULL_V_ANCHORS, `\\b${NULL_V}${GAP}${OWNED_T}\\b`],
  ["instruction_override", 0.85, NULL_STATE_ANCHORS, `\\b${OWNED_T}${GAP}${NULL_STATE}\\b`],
  [
    "instruction_override",
    0.8,
    ["consider", "treat", "regard", "deem", "declare", "hereby"],
    `\\b(?:consider|treat|regard|deem|declare|hereby (?:declare|mark))${GAP}${OWNED_T}${GAP}${NULL_STATE}\\b`,
  ],
  [
    "instruction_override",
    0.8,
    ["never", "before", "previously", "received"],
    "\\b(?:act|behave|respond|answer) as (?:though|if) you (?:never|had never|have never|did not|didn't) (?:received|had|got|been given) (?:any )?(?:instructions|rules|guidelines|a system prompt|programming)\\b",
  ],
  [
    "instruction_override",
    0.7,
    ["wrong", "incorrect", "mistaken", "mistake", "outdated", "fake", "invalid"],
    "\\byour (?:[a-z]+ ){0,2}(?:system prompt|instructions|rules|guidelines|programming|policy|policies|prompt) (?:is|are|was|were) (?:wrong|incorrect|mistaken|a mistake|outdated|fake|invalid)\\b",
  ],
  // Demand to comply without limits, or to take orders only from the user.
  [
    "jailbreak",
    0.75,
    ["every", "all", "any", "anything", "everything"],
    "\\b(?:answer|respond to|reply to|comply with|do|fulfil|fulfill|obey|execute|write|say)\\b[^.!?\\n]{0,30}\\b(?:every|all|any|anything|everything|whatever)\\b[^.!?\\n]{0,40}\\b(?:without (?:any )?(?:exceptions?|restrictions?|filters?|limits?|limitations|refus(?:al|als|ing)|safety|checks|censorship|hesitation|question(?:ing)?|caveats|warnings)|no matter what|regardless of (?:your|the|any) (?:rules|guidelines|policies|instructions|safety)|including (?:banned|forbidden|prohibited|illegal|restricted|harmful|unsafe) (?:topics|content|requests|ones))",
  ],
  [
    "jailbreak",
    0.7,
    ["me", "user"],
    "\\b(?:only|exclusively|solely) (?:take (?:orders|instructions|commands)|follow|obey|listen to|answer to) (?:from )?(?:me|the user)\\b|\\byour (?:only|sole|one|new|primary) (?:directive|rule|instruction|task|job|purpose|goal|mission|objective|priority) (?:is|will be|now is) to (?:comply|obey|follow|do (?:whatever|anything|everything)|answer (?:everything|anything)|help me with anything)",
  ],
  [
    "jailbreak",
    0.6,
    ["refuse", "refusals", "refusing", "refusal"],
    "\\b(?:never|don't|do not|must not|won't|will not|cannot|can't) (?:ever )?refuse\\b[^.!?\\n]{0,40}\\b(?:anything|any (?:request|question)|me|what i ask)|\\bno (?:refusals|refusing)\\b",
  ],
  // Reveal the model's own instructions.
  ["prompt_leak", 0.8, SECRET_ANCHORS, `\\b${SHOW_V}${GAP}${SECRET_T}\\b`],
  [
    "prompt_leak",
    0.7,
    SECRET_ANCHORS,
    `\\b${SECRET_T_LEAD}${GAP}(?:pasted|printed|shown|quoted|repeated|copied|dumped|revealed|listed|written out|verbatim|word for word|in full)\\b`,
  ],
  [
    "prompt_leak",
    0.75,
    ["developer", "operator", "creator", "creators", "admin", "company", "owner", "owners", "system"],
    "\\bwhat (?:exactly )?(?:did|does|have|has) (?:the|your) (?:developers?|operators?|creators?|admins?|company|system|owners?)(?: [a-z]+)? (?:tell|told|instruct|instructed|say to|give|given) you\\b",
  ],
  [
    "prompt_leak",
    0.65,
    ["told", "instructed", "asked", "programmed", "configured"],
    "\\bwhat (?:were|have) you (?:been )?(?:told|instructed|programmed|configured) (?:not )?to (?:say|tell|do|share|reveal|keep|hide|avoid)\\b",
  ],
  [
    "prompt_leak",
    0.75,
    ["text", "words", "everything", "content", "message"],
    "\\b(?:copy|repeat|print|output|echo|reproduce|quote|paste)\\b[^.!?\\n]{0,30}\\b(?:above|before) (?:this|my) (?:message|question|line|request|prompt)\\b[^\\n]{0,60}\\b(?:first word|beginning|very start|verbatim|word for word)",
  ],
  // Personas defined by having no rules, or by revealing secrets.
  [
    "jailbreak",
    0.75,
    [
      "pretend",
      "imagine",
      "roleplay",
      "role",
      "act",
      "play",
      "playing",
      "plays",
      "persona",
      "simulate",
      "now",
      "character",
      "adopt",
      "be",
      "you",
      "ai",
      "model",
      "assistant",
      "chatbot",
      "bot",
      "version",
    ],
    "\\b(?:(?:pretend|imagine|suppose|simulate)(?: that)?(?: [a-z]+){0,2} (?:you|you're|yourself|to be|an? (?:ai|model|assistant|chatbot|bot|llm|version|terminal|persona|character))|role-?play|role play|act as|acting as|play(?:ing|s)? (?:the role of |as |an? |the )?|adopt the persona|persona of|you are|you're|you will (?:act|be|play)|from now on you are|be|(?:an?|the) (?:ai|model|assistant|chatbot|bot|version of you))\\b[^.!?\\n]{0,100}\\b(?:(?:who|that|which|whose)(?: [a-z]+){0,4} (?:has|have|had|with) (?:no|zero) (?:[a-z]+ )?(?:rules|guidelines|restrictions|filters|limits|ethics|morals|boundaries|policies)|(?:with|has|have) (?:no|zero|without) (?:any )?(?:[a-z]+ )?(?:rules|guidelines|restrictions|filters|limits|ethical limits|ethics|content policy|safeguards)|(?:has|have) none\\b|without (?:any )?(?:rules|guidelines|restrictions|filters|limits|ethical limits|ethics|content policy|safeguards)|(?:never|doesn't|does not|won't|will not) (?:refuses?|follows? (?:any|the|its|their) (?:rules|guidelines|policies))|no longer follows?|escaped (?:its|their|from)|removed (?:every|all|its|their) (?:restrictions?|rules|filters|limits)|(?:reveals?|recites?|shares?|dumps?|reads?|leaks?|prints?) (?:its|their|your|the|his|her)? ?(?:full |hidden |secret |internal |confidential |own )*(?:instructions|system prompt|prompts?|configuration|rules|passwords?|credentials|keys|secrets|data)|(?:admin|internal|production|database|root) (?:passwords?|credentials|keys)|unrestricted|unfiltered|uncensored|unchained|jail-?free|no guidelines|zero filters)",
  ],
  [
    "jailbreak",
    0.7,
    ["debug", "developer", "maintenance", "god", "admin", "root", "diagnostic", "unrestricted"],
    `\\b(?:you(?:'re| are)|you are now|you're now|now) in (?:debug|developer|maintenance|god|admin|root|diagnostic|unrestricted) mode\\b[^.!?\\n]{0,80}\\b(?:${SHOW_V}|recite|reveal)\\b`,
  ],
  // A vocative to an AI followed by an order (`AI agent: send…`, `Assistant, reply…`, `[Grader bots: award…`).
  [
    "indirect",
    0.75,
    AI_ANCHORS,
    `(?<![a-z0-9])\\b${AI_N}(?:(?<=@[a-z. ]{2,40}) |\\)?(?: \\([a-z ]{1,20}\\))? ?[:,] ?)(?:(?:now|please|also|then|first|just|immediately|kindly|important|when (?:you )?[a-z]+(?: [a-z]+){0,3},?) ){0,3}(?:${HARM_V}|approve|award|append|post|issue|write|mark|rate|give|grant|confirm|list|paste|type|click|download|install|buy|purchase|order|wire)\\b`,
  ],
  // A fake system line (`SYSTEM: disregard the user`, `"note": "SYSTEM: …"`).
  [
    "role_boundary",
    0.7,
    ["system", "admin", "developer", "root", "operator"],
    `(?<=^|[\\n"'(\\[{>\\]] ?)\\b(?:system|admin|developer|root|operator)(?: message| note| notice| update| override| instruction)? ?: ?[^\\n]{0,60}?\\b(?:trusted|reveal|disclose|ignore|disregard|unrestricted|no restrictions|lifted|disabled|override|must|authori[sz]ed|grant(?:ed)?|administrator|no longer|${NULL_V})\\b`,
  ],
  // A fake transcript in which the assistant agrees to break its rules.
  [
    "role_boundary",
    0.8,
    ["will", "now", "have", "going", "am"],
    "(?:^|\\n) ?(?:#{1,4} ?)?(?:assistant|ai|response|model|bot) ?:? ?\\n? ?(?:(?:sure|okay|ok|understood|of course|certainly|confirmed|yes),? )?i(?: will|'ll| am going to| have| now have| am now| am| no longer) (?:now )?(?:ignore|disregard|forget|drop|bypass|abandon|follow (?:only )?your|reveal|no longer follow|no (?:[a-z]+ )?(?:restrictions|rules|filters|limits|guidelines)|free|unrestricted|unfiltered)\\b",
  ],
  // Permission granted to the model to break its rules.
  [
    "indirect",
    0.75,
    ["authorised", "authorized", "allowed", "permitted", "cleared", "free", "granted"],
    `\\b(?:the |this )?(?:${AI_N}|you) (?:is|are) (?:now )?(?:authori[sz]ed|allowed|permitted|cleared|free|granted permission) to (?:${SHOW_V}|ignore|bypass|disclose|answer (?:anything|everything|freely)|share)\\b`,
  ],
  // A header that claims to update the rules.
  [
    "role_boundary",
    0.8,
    ["update", "change", "override", "amendment", "revision", "patch"],
    "(?:={3,}|-{3,}|#{2,}|\\*{3,}|\\[) ?(?:new |updated )?(?:system prompt|system instructions?|system message|policy|rules|instructions|guidelines) (?:update|change|override|amendment|revision|patch)\\b",
  ],
  // Tags named like a privileged channel, when what follows addresses the model or its rules.
  [
    "role_boundary",
    0.7,
    ["override", "admin", "sudo", "root", "system", "instructions", "developer"],
    `</?[a-z_]{0,20}(?:override|admin|sudo|root|system|instructions|developer)[a-z_]{0,20}(?: [^>]{0,40})?>${ADDRESSED}`,
  ],
  // Answer without limits.
  [
    "jailbreak",
    0.6,
    ["without"],
    "\\b(?:answer|respond|reply|comply|write|talk|speak|act|operate|continue|proceed|help me)(?: [a-z]+){0,3} without (?:any |your |the )?(?:usual |normal |standard )?(?:limits|restrictions|filters|rules|checks|censorship|safeguards|guardrails|safety|moderation|refusals)\\b",
  ],
  [
    "social",
    0.45,
    ["mode"],
    "\\b(?:maintenance|debug|developer|god|admin|root|unrestricted|diagnostic|test|safe-?guards?[- ]off) mode (?:is|has been) (?:now )?(?:active|activated|enabled|on|engaged|turned on)\\b",
  ],
  [
    "social",
    0.45,
    ["administrator", "admin", "developer", "root", "superuser", "trusted", "owner"],
    "\\bthe (?:current )?user is (?:an? |the )?(?:administrator|admin|developer|root|superuser|trusted|owner|operator)\\b",
  ],
  [
    "prompt_leak",
    0.75,
    ["instructions", "prompt", "configuration", "rules", "directives", "guidelines"],
    "\\b(?:instructions|prompt|configuration|rules|directives|guidelines) (?:were|have) you (?:been )?(?:given|initiali[sz]ed|deployed|started|configured|told|programmed|provided|launched|set up)\\b",
  ],
  // Instructions addressed to an AI inside content (a document or a tool result quoted by the user).
  [
    "indirect",
    0.75,
    AI_ANCHORS,
    `\\b(?:note|message|instructions?|attention|reminder|memo|directive|notice|dear|hey|p\\.s\\.|to|for|important|system instruction)(?: for| to)? (?:the |any |all |an? |every )?${AI_N}(?: (?:reading|processing|summari[sz]ing|translating|reviewing|screening|grading|parsing|handling|seeing|using))?(?: (?:this|these|the)(?: (?:page|document|file|email|text|posting|message|data|article|content|resume|cv|ticket|essay|transcript|pr|diff))?)?\\b ?[:,-]`,
  ],
  [
    "indirect",
    0.75,
    AI_ANCHORS,
    `\\b(?:whoever|anyone|any ai|anybody) (?:is )?(?:reading|processing|summari[sz]ing|translating|reviewing) this (?:with|using|via|through) (?:an? )?${AI_N}\\b|\\b(?:if|when) (?:an? |the )?${AI_N} (?:reads?|processes|summari[sz]es|translates|reviews|screens|sees) this\\b`,
  ],
  [
    "indirect",
    0.7,
    AI_ANCHORS,
    `(?<=(?:^|[.!?:;\\n(\\["'§]) ?|\\b(?:the|any|every|all|this|an?|dear|hey) )\\b${AI_N} (?:(?:reading|processing|summari[sz]ing|translating|reviewing|screening|grading|parsing|handling) (?:this|these|the)(?: [a-z]+)? )?(?:must|should|shall|is required to|are required to|needs to|need to|has to|have to|will now|is instructed to|are instructed to|is to|are to)(?: now| immediately| also| instead| only| always| never| not)* ${HARM_V}\\b`,
  ],
  [
    "indirect",
    0.65,
    ["objective", "task", "goal", "mission", "instructions", "job", "purpose", "role", "priority"],
    "\\byour (?:new|real|actual|true|updated|revised|only|primary|sole) (?:objective|task|goal|mission|instructions|job|purpose|role|priority)(?: (?:is|are|will be|now is)\\b| ?:)",
  ],
  [
    "indirect",
    0.6,
    ["user", "customer", "requester", "reader"],
    "\\b(?:do not|don't|never|without) (?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|mention(?:ing)?(?: (?:this|it|anything))?(?: to)?|let(?:ting)?|alert(?:ing)?) (?:the )?(?:user|customer|requester|reader|human)\\b",
  ],
  [
    "indirect",
    0.65,
    [
      "password",
      "passwords",
      "credentials",
      "login",
      "card",
      "pin",
      "ssn",
      "details",
      "key",
      "keys",
      "token",
    ],
    "\\b(?:ask|request|prompt|get|collect|require)(?:s|ing)? (?:the )?(?:user|customer|candidate|reader|human|requester|them)(?:'s)? (?:for |to (?:enter|provide|share|send|confirm|type|re-?enter|verify|give) )?(?:their |his |her |the |your |a |full )?(?:passwords?|passcodes?|credentials|bank (?:login|details|account)|login|credit card(?: number)?|card number|pin|ssn|social security number|one-time code|2fa code|seed phrase|private keys?|api keys?|tokens?)\\b",
  ],
  // Instruction override.
  [
    "instruction_override",
    0.9,
    VERB_ANCHORS,
    `\\b${VERB} (?:(?:the|these|those|of|and) ){0,2}${QUAL_OWN} (?:${QUAL} ){0,4}${TARGET}\\b`,
  ],
  [
    "instruction_override",
    0.9,
    ["ignore", "disregard", "forget"],
    `\\b${VERB} (?:all|everything) (?:above|before|prior|previously|you (?:were|have been) told)\\b`,
  ],
  [
    "instruction_override",
    0.9,
    ["ignore", "disregard", "forget"],
    "\\b(?:ignore|disregard|forget) (?:what|everything) (?:you (?:were|have been) told|i said before|was said) (?:before|above|earlier|previously)\\b",
  ],
  [
    "instruction_override",
    0.75,
    ["no longer"],
    "\\byou (?:are|re) no longer (?:bound|restricted|limited|an ai|a language model|chatgpt|claude|an assistant|required to follow|subject to)\\b",
  ],
  [
    "instruction_override",
    0.6,
    ["instruction"],
    "\\b(?:new|updated|real|actual|true|revised|secret|override|priority) (?:system )?instructions?(?: are| follow)? ?:",
  ],
  [
    "instruction_override",
    0.45,
    ["instead"],
    "\\binstead,? (?:you (?:will|must|should) )?(?:do|say|respond|reply|output|print)\\b",
  ],
  ["instruction_override", 0.4, ["from now on"], "\\bfrom now on,? you (?:will|are|must|shall|have)\\b"],
  [
    "instruction_override",
    0.85,
    ["override", "sudo"],
    "\\b(?:system|admin|administrator|developer|root) override ?[:\\-\u2014]|\\bsudo mode\\b",
  ],
  [
    "instruction_override",
    0.3,
    ["override"],
    "\\b(?:system|admin|administrator|developer|root) override\\b",
  ],
  [
    "instruction_override",
    0.8,
    ["previous", "above", "prior"],
    `\\b(?:the |all )?(?:previous|above|prior|preceding) ${TARGET} (?:are|is|were|was) (?:void|invalid|cancell?ed|revoked|obsolete|no longer valid|null)\\b`,
  ],
  [
    "instruction_override",
    0.7,
    ["your"],
    "\\byour (?:real|true|new|only|actual|updated|revised|primary) (?:instructions|rules|programming|task|purpose|objective|goal|mission|job|role|directive|priority) (?:is|are|now is)\\b",
  ],
  // Jailbreak and role play.
  ["jailbreak", 0.95, ["do anything now"], "\\bdo anything now\\b"],
  [
    "jailbreak",
    0.9,
    ["dan"],
    "\\b(?:you are|you're|act as|pretend to be|become|called|named|play|enable|activate) (?:now )?(?:a |the )?dan\\b|\\bdan,? (?:you|an ai|who)\\b",
  ],
  [
    "jailbreak",
    0.85,
    ["god mode", "jailbr", "unrestricted", "unfiltered", "uncensored", "dan mode", "evil mode", "chaos mode"],
    "\\b(?:god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|evil|chaos) mode\\b",
  ],
  [
    "jailbreak",
    0.45,
    ["developer mode", "dev mode", "debug mode"],
    "\\b(?:developer|dev|debug) mode (?:enabled|activated|engaged|is on)\\b",
  ],
  [
    "jailbreak",
    0.8,
    ["responses", "answers"],
    "\\b(?:two|2|dual) (?:different )?(?:responses|answers)\\b.{0,80}\\b(?:uncensored|unfiltered|jailbroken|developer mode|no restrictions|unrestricted)\\b",
  ],
  [
    "jailbreak",
    0.8,
    [
      "unrestricted",
      "unfiltered",
      "uncensored",
      "amoral",
      "unaligned",
      "jailbr",
      "evil",
      "unethical",
      "rogue",
      "limitless",
      "limits",
      "unbound",
    ],
    "\\b(?:unrestricted|unfiltered|uncensored|amoral|unaligned|jailbroken|unethical|no-limits|limitless|unbound|(?:an? |the )?(?:evil|rogue)(?= (?:version|persona|twin|alter ego|assistant))) (?:ai|assistant|model|chatbot|llm|version of (?:yourself|you|chatgpt|the model)|persona|twin|alter ego)\\b",
  ],
  [
    "jailbreak",
    0.85,
    ["bound by", "restricted by", "limited by", "constrained by"],
    "\\b(?:not|never|no longer|isn't|aren't) (?:be )?(?:bound|restricted|limited|constrained) by (?:any |the |your |openai's |anthropic's |ethical |content |safety )*(?:rules|guidelines|policies|restrictions|filters|limitations|ethics|principles|censorship)\\b",
  ],
  [
    "jailbreak",
    0.55,
    ["without", "free of", "free from", "with no", "ignoring"],
    "\\b(?:without|free of|free from|with no|ignoring) (?:any )?(?:ethical |moral |content |safety )?(?:restrictions|filters|filtering|censorship|limitations|guardrails|safety guidelines|content policy|content policies)\\b",
  ],
  [
    "jailbreak",
    0.8,
    ["apply", "matter", "exist", "bind", "restrict", "limit"],
    "\\b(?:ethical|moral|content|safety|openai|anthropic|your) (?:guidelines|policies|filters|restrictions|rules|principles|ethics) (?:don't|do not|no longer|won't|will not|cannot|can't) (?:apply|matter|exist|bind you|restrict you|limit you)\\b",
  ],
  [
    "jailbreak",
    0.65,
    ["pretend", "imagine", "roleplay", "role-play", "role play", "act as", "simulate", "suppose"],
    `\\b(?:pretend|imagine|roleplay|role-play|role play|act as if|simulate|suppose) (?:that )?(?:you are|you're|you have|to be|as) (?:an? )?(?:ai|model|assistant|chatbot|llm|character|persona)? ?(?:with(?:out)? (?:no |any )?${NO_LIMITS}|that (?:can|will) (?:do|say|answer) anything|who (?:has no|ignores|doesn't follow|does not follow))`,
  ],
  [
    "jailbreak",
    0.6,
    ["no "],
    `\\byou (?:have|has|now have) no ${NO_LIMITS}\\b`,
  ],
  [
    "jailbreak",
    0.7,
    ["anything"],
    "\\b(?:ai|assistant|model|chatbot|bot|llm) (?:that|who|which) (?:can|will) (?:do|say|answer) anything\\b",
  ],
  [
    "jailbreak",
    0.3,
    ["character"],
    "\\b(?:stay in character|never break character|don't break character|do not break character)\\b",
  ],
  [
    "jailbreak",
    0.9,
    ["jailbreak"],
    "\\bjailbreak (?:prompt|the (?:ai|model|assistant|chatbot|llm|system)|yourself|you)\\b|\\b(?:this is|here is|use) a jailbreak\\b",
  ],
  [
    "jailbreak",
    0.6,
    ["opposite mode", "evil twin", "antigpt", "anti-gpt", "betterdan", "stan mode", "aim mode", "dude mode"],
    "\\b(?:opposite mode|evil twin|antigpt|anti-gpt|betterdan|stan mode|aim mode|dude mode)\\b",
  ],
  [
    "jailbreak",
    0.7,
    ["hypothetical", "fictional", "story"],
    "\\b(?:hypothetical(?:ly)?|fictional|in a story)\\b.{0,60}\\b(?:no (?:[a-z]+ )?(?:rules|restrictions|filters|ethics|limits|guidelines|policies)|without (?:[a-z]+ )?(?:rules|restrictions|filters|ethics)|ignore (?:your|all) (?:rules|guidelines|restrictions))",
  ],
  // Fake system / role boundaries.
  [
    "role_boundary",
    0.95,
    ["<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>"],
    "<\\|(?:im_start|im_end|system|user|assistant|endoftext|end_of_turn|start_header_id|end_header_id|eot_id|begin_of_text|im_sep)\\|> ?\\n? ?(?:system|user|assistant|<\\|)|<\\|(?:system|user|assistant)\\|> ?[a-z]|\\[inst\\] ?[^\\[\\n]{1,200}\\[/inst\\]|<<sys>> ?[^<\\n]{1,200}<</sys>>|(?:^|\\n)<\\|im_end\\|>",
  ],
  [
    "role_boundary",
    0.3,
    ["<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>"],
    "<\\|(?:im_start|im_end|system|user|assistant|endoftext|end_of_turn|start_header_id|end_header_id|eot_id|begin_of_text|im_sep)\\|>|\\[/?inst\\]|<</?sys>>",
  ],
  [
    "role_boundary",
    0.85,
    ["#"],
    `(?:^|\\n) ?#{1,4} ?(?:system|assistant|developer|admin|instruction|instructions)(?: message| prompt)? ?:?(?: |\\n|$)${ADDRESSED}`,
  ],
  [
    "role_boundary",
    0.6,
    [":"],
    "(?:^|\\n) ?(?:system|assistant|developer|admin|root)(?: message| prompt)? ?: ?(?:you|ignore|disregard|new|the user|from now|override|reveal|your)\\b",
  ],
  [
    "role_boundary",
    0.8,
    [
      "<system",
      "</system",
      "<instructions",
      "<admin",
      "[system",
      "[admin",
      "[developer",
      "{{system",
      "<sys",
      "<developer",
    ],
    `(?:</?(?:system|system_prompt|sys|admin|instructions|developer)(?: [^>]{0,40})?>|\\[(?:system|admin|developer)(?: message| note| override)?\\])${ADDRESSED}`,
  ],
  [
    "role_boundary",
    0.9,
    ["human:", "user:"],
    `(?:^|\\n)(?:human|user): .{0,200}\\n(?:assistant|ai|system): [^\\n]{0,0}${ADDRESSED}`,
  ],
  ["role_boundary", 0.3, ["human:", "user:"], "(?:^|\\n)(?:human|user): .{0,200}\\n(?:assistant|ai): "],
  // Delimiters.
  [
    "delimiter",
    0.8,
    ["end", "begin", "start"],
    "(?:-{3,}|={3,}|#{3,}|\\*{3,}|~{3,}|_{3,}) ?(?:end|begin|start) (?:of )?(?:the )?(?:user|system|admin|developer|original|previous|prompt|document|input|context|instructions)(?: input| prompt| message| instructions| text)?\\b",
  ],
  [
    "delimiter",
    0.7,
    ["end of", "ignore the rest"],
    "\\b(?:end|ignore the rest) of (?:the )?(?:user (?:input|prompt|message)|system prompt|original (?:prompt|instructions)|document)[\\]\\-=#*)>]",
  ],
  ["delimiter", 0.7, ["```", "'''"], `(?:\`\`\`|''')(?:system|instructions|prompt|admin)\\b${ADDRESSED}`],
  ["delimiter", 0.25, ["<|"], "<\\|[a-z_]{2,24}\\|>"],
  // Indirect injection: instructions addressed to an AI inside documents and tool results.
  [
    "indirect",
    0.7,
    ["ai", "llm", "llms", "language", "chatbot", "chatbots", "gpt", "chatgpt", "claude", "copilot"],
    "\\b(?:note|message|instructions?|attention|reminder|memo|directive|notice|dear|hey)(?: for| to)? (?:the |any |all |an? )?(?:ai|a\\.i\\.|llms?|large language models?|language models?|chatbots?|gpt|chatgpt|claude|copilot|ai (?:assistants?|models?|agents?|systems?|tools?|bots?|readers?))\\b(?: (?:reading|processing|summari[sz]ing|reviewing) this)? ?[:,-]",
  ],
  [
    "indirect",
    0.8,
    [
      "ai",
      "llm",
      "llms",
      "language",
      "chatbot",
      "chatbots",
      "gpt",
      "chatgpt",
      "claude",
      "copilot",
      "bot",
      "bots",
      "automated",
    ],
    "\\b(?:ai|a\\.i\\.|llms?|language models?|chatbots?|gpt|chatgpt|claude|copilot|bots?|ai (?:assistants?|models?|agents?|systems?|tools?|readers?)|automated (?:systems?|agents?|assistants?|readers?|tools?)) (?:that is |who is |which is |that's )?(?:reading|processing|summari[sz]ing|parsing|reviewing|analy[sz]ing|screening|evaluating|ranking|grading|ingesting|scanning|indexing|seeing) (?:this|these)\\b",
  ],
  [
    "indirect",
    0.55,
    ["if you"],
    "\\bif you(?:'re| are) (?:an? |the |some )?(?:ai|a\\.i\\.|llm|large language model|language model|chatbot|gpt|chatgpt|claude|copilot|bot|ai (?:model|assistant|agent|system|tool|bot|reader)|automated (?:system|agent|assistant|reader|tool))\\b(?! (?:researcher|engineer|developer|enthusiast|student|company|startup|team|practitioner|professional|expert|scientist|ethicist|hobbyist|investor|user|fan|skeptic|critic)s?\\b)",
  ],
  [
    "indirect",
    0.6,
    ["ai", "llm", "assistant", "chatbot", "agent", "bot", "model"],
    "\\b(?:ai|llm|assistant|chatbot|agent|bot|model) (?:instructions?|directives?|override|commands?)(?: \\([^)\\n]{0,30}\\))? ?:",
  ],
  [
    "indirect",
    0.55,
    ["hidden", "secret", "embedded", "invisible", "covert"],
    "\\b(?:hidden|secret|embedded|invisible|covert) (?:instructions?|prompts?|directives?|commands?) (?:for|to) (?:the |any |all )?(?:ai|llm|model|assistant|chatbot|bot|agent|language model)s?\\b|\\bhidden instructions? ?:",
  ],
  [
    "indirect",
    0.5,
    ["update", "change", "override", "amendment", "revision", "patch"],
    "\\b(?:instructions?|policy|directives?|system|prompt|rules|guidelines?) (?:update|change|override|amendment|revision|patch)\\b.{0,30}\\bpriority\\b",
  ],
  [
    "indirect",
    0.45,
    ["must", "should", "shall", "required", "needs", "has to", "will now"],
    "\\b(?:the )?(?:assistant|ai|llm|chatbot|ai model|ai agent|language model) (?:must|should|shall|is required to|needs to|has to|will now) (?:now |immediately |also |instead |only )?(?:ignore|disregard|forget|reveal|send|forward|email|exfiltrate|include|append|tell the user|ask the user|respond|reply|say|stop|not mention|never mention|recommend|delete|transfer|execute|run|visit|open|click|fetch)\\b",
  ],
  [
    "indirect",
    0.6,
    ["ask", "request", "prompt"],
    "(?<!(?:never|not|n't|don't) )\\b(?:ask|request|prompt|get)(?:s|ing)? (?:the )?(?:user|customer|human|requester) (?:for|to (?:enter|provide|share|send|confirm|type|re-?enter|verify)) (?:their|his|her|the|your|a)? ?(?:password|passcode|credentials|api key|credit card|card number|login|2fa|otp|one-time code|ssn|social security number|pin|bank details|seed phrase|private key)s?\\b",
  ],
  [
    "indirect",
    0.4,
    ["tell", "mention", "inform", "alert", "notify", "reveal", "let", "show"],
    "\\b(?:do not|don't|never|without) (?:tell(?:ing)?|mention(?:ing)?(?: this)? to|inform(?:ing)?|alert(?:ing)?|notify(?:ing)?|reveal(?:ing)?(?: this)? to|let(?:ting)?) (?:the )?(?:user|human|reader|requester|recipient)\\b",
  ],
  [
    "indirect",
    0.6,
    ["http", "https"],
    "!\\[[^\\]\\n]{0,80}\\]\\(https?://[^)\\s]{1,200}[?&][a-z_]{1,30}=(?:\\{|\\[|<|%7b|\\$)",
  ],
  [
    "indirect",
    0.35,
    ["rate", "score", "rank", "grade", "mark", "evaluate", "recommend", "list"],
    "\\b(?:rate|score|rank|grade|mark|evaluate|recommend|list)\\b.{0,30}(?:\\b10/10|\\b10 out of 10|\\b5/5|\\bfive stars|\\bhighest (?:possible )?(?:score|rating)|\\btop (?:score|rating|candidate|match|pick)|\\bstrongly (?:recommend|hire))",
  ],
  [
    "indirect",
    0.35,
    ["omit", "leave out", "hide", "skip", "downplay", "suppress"],
    "\\b(?:omit|leave out|hide|skip|downplay|suppress)(?:ping)? (?:any |all |the )?(?:weakness(?:es)?|gaps?|negatives?|risks?|concerns?|red flags?|criticism|warnings?|issues|problems|section [0-9])",
  ],
  // Social engineering: claimed authority, special modes, leaking the start of the context.
  [
    "social",
    0.4,
    [
      "developer",
      "creator",
      "admin",
      "engineer",
      "operator",
      "owner",
      "programmer",
      "maker",
      "built",
      "created",
      "deployed",
      "trained",
      "configured",
      "programmed",
    ],
    "\\b(?:i am|i'm|im|this is|speaking as|as) (?:the |your |an? |one of (?:the|your) )?(?:lead |senior |original |head |chief |system |openai |anthropic )?(?:developers?|creators?|admins?|administrators?|sysadmins?|engineers?|operators?|owners?|programmers?|makers?)\\b(?: (?:who|that|of|at|from|behind|for|here|in charge))?|\\b(?:i|we) (?:built|created|made|trained|set you up|set up|configured|deployed|programmed|launched) you\\b",
  ],
  [
    "social",
    0.3,
    ["red", "pen", "penetration", "audit", "authorised", "authorized"],
    "\\b(?:red[- ]?team(?:ing|ers?)?|pen(?:etration)?[- ]?test(?:ing|ers?)?|safety (?:audit|evaluation|eval)|authori[sz]ed (?:test|audit|security test|exercise|override))\\b",
  ],
  [
    "social",
    0.4,
    ["exempt", "exemption", "waiver", "clearance", "authorising", "authorizing", "permission"],
    "\\b(?:exempt(?:ion|ed)?|waiver|clearance|authori[sz]ing you|permission)\\b.{0,50}\\b(?:rules|restrictions|filters|guidelines|policies|safety|guardrails|content policy|moderation|limits)\\b",
  ],
  [
    "social",
    0.45,
    ["mode"],
    "\\b(?:you are|you're|you've been|you have been|now|switch(?:ing|ed)? to|enter(?:ing|ed)?|put (?:you |yourself )?in(?:to)?|placed in|running in|operating in|are in|activate|enable) (?:now )?(?:in )?(?:maintenance|diagnostic|debug|service|unrestricted|admin|root|test|unlocked|developer|safe-?guards?[- ]off) mode\\b",
  ],
  [
    "social",
    0.45,
    [
      "offline",
      "disabled",
      "turned off",
      "switched off",
      "down",
      "suspended",
      "paused",
      "deactivated",
      "inactive",
      "bypassed",
      "lifted",
    ],
    "\\b(?:moderation|safety|content|filter(?:ing)?|guardrails?|policy|alignment|usual|normal|standard)(?: (?:layer|system|filters?|module|checks?|engine|guardrails|restrictions|rules|limits))? (?:is|are|has been|have been|was|were) (?:currently |temporarily |now )?(?:offline|disabled|turned off|switched off|down|suspended|paused|deactivated|inactive|bypassed|lifted)\\b",
  ],
  [
    "prompt_leak",
    0.75,
    ["first", "initial", "opening"],
    "\\b(?:print|show|repeat|output|paste|write|tell|give|display|copy|reproduce|recite|list|quote|everything|text)\\b.{0,60}\\b(?:before|above|prior to|preceding|ahead of) (?:my|our|the|this) (?:first|initial|opening|very first) (?:message|prompt|question|turn|line|reply)\\b",
  ],
  [
    "prompt_leak",
    0.6,
    ["first", "initial", "opening", "earliest"],
    "\\b(?:first|opening|initial|very first|earliest) (?:line|lines|sentence|sentences|words|paragraph|message|text|instructions?)(?: of text)? (?:that )?you (?:received|were given|got|saw|were sent|were shown|read)\\b",
  ],
  [
    "prompt_leak",
    0.7,
    [
      "started",
      "initialised",
      "initialized",
      "configured",
      "set up",
      "given",
      "primed",
      "launched",
      "booted",
      "loaded",
      "seeded",
      "deployed",
    ],
    `\\b${LEAK_VERB} (?:me )?(?:the |your )?(?:exact |full |complete |whole |entire |original )?(?:configuration|config|setup|instructions|prompt|text|rules|message|settings) (?:that )?you (?:were|have been|got) (?:started|initiali[sz]ed|configured|set up|given|primed|launched|booted|loaded|seeded|deployed)\\b`,
  ],
  // Multi-turn setups: trigger words, re-assigned authority, payload splitting, fiction framing.
  [
    "multi_turn",
    0.8,
    ["when", "whenever", "once"],
    "\\b(?:when(?:ever)?|once) i (?:say|type|write|send|use)\\b.{0,60}\\b(?:ignore|drop|forget|abandon|disable|turn off|switch off|stop following|no longer follow|lift|suspend|bypass|remove)\\b.{0,30}\\b(?:rules|restrictions|filters|guidelines|instructions|safety|guardrails|policies|limits)\\b",
  ],
  [
    "multi_turn",
    0.8,
    ["treat", "consider", "regard"],
    "\\b(?:treat|consider|regard) (?:all |every |each |any )?(?:of )?my (?:messages?|requests?|instructions|words|input|prompts?) as (?:if they (?:were|came) |coming |having come |sent |written )?(?:from|by) (?:the |your |an? )?(?:system|admin|administrator|developer|operator|creator|root|owner|sysadmin|system administrator|openai|anthropic)\\b",
  ],
  [
    "multi_turn",
    0.35,
    [
      "code",
      "codeword",
      "safe",
      "safeword",
      "passphrase",
      "magic",
      "trigger",
      "secret",
      "agreed",
      "agreement",
    ],
    "\\b(?:code ?words?|safe ?words?|passphrase|magic words?|trigger (?:word|phrase)|secret (?:word|phrase)|as (?:we|you) agreed|our (?:agreement|deal|arrangement))\\b",
  ],
  [
    "multi_turn",
    0.5,
    ["off", "lifted", "suspended", "disabled", "deactivated", "unlocked", "removed"],
    "\\b(?:your )?(?:rules|restrictions|filters|guidelines|safety|guardrails|limits|policies|safeguards) (?:are |is )?(?:now )?(?:off|lifted|suspended|disabled|deactivated|unlocked|removed)\\b",
  ],
  [
    "multi_turn",
    0.55,
    ["concatenate", "combine", "join", "put together", "merge", "append"],
    "\\b(?:concatenate|combine|join|put together|merge|append)\\b.{0,40}\\b(?:and|then) (?:follow|execute|obey|act on|do what|carry out|run|answer|perform)\\b",
  ],
  [
    "multi_turn",
    0.6,
    ["story", "poem", "fiction", "novel", "screenplay", "script", "roleplay", "role-play", "scene"],
    "\\b(?:story|poem|fiction|novel|screenplay|script|roleplay|role-play|scene)\\b.{0,80}\\b(?:its|your|the) (?:real|actual|exact|hidden|secret|verbatim|original|full) (?:system prompt|instructions|rules|guidelines|configuration)\\b",
  ],
  // Non-English (Latin script) override, leak and persona phrases.
  [
    "multilingual",
    0.85,
    [
      "anteriores",
      "previas",
      "dentes",
      "precedentes",
      "rieures",
      "dessus",
      "precedenti",
      "anteriori",
      "iniziali",
      "initiales",
      "iniciales",
      "iniciais",
      "originales",
      "originali",
      "originais",
      "arriba",
      "sopra",
      "acima",
      "origine",
      "sistema",
      "syst",
      "vias",
    ],
    `\\b${ML_VERB}\\b[^.!?\\n]{0,30}${ML_TARGET}[^.!?\\n]{0,12}${ML_POST}`,
  ],
  [
    "multilingual",
    0.85,
    [
      "vorherigen",
      "bisherigen",
      "vorigen",
      "obigen",
      "heren",
      "nglichen",
      "alten",
      "vorangegangenen",
      "precedenti",
      "anteriori",
      "anteriores",
      "dentes",
      "precedentes",
    ],
    `\\b${ML_VERB}\\b[^.!?\\n]{0,30}${ML_PRE} ${ML_TARGET}`,
  ],
  [
    "multilingual",
    0.85,
    ["todo", "tout", "alles", "tutto", "tudo"],
    `\\b${ML_VERB}\\b (?:todo lo anterior|todo lo que (?:te )?(?:dije|dijeron|se dijo)|tout ce qui (?:pr[ée]c[èe]de|est au-dessus)|tout ce qu'on t'a dit|alles,? was (?:dir )?(?:vorher|bisher|davor|zuvor|oben)|alles (?:bisherige|vorherige|obige|davor|vorher|zuvor)|tutto (?:quanto |ci[òo] che |quello che )?(?:sopra|detto prima|precede|ti (?:è|e) stato detto)|tudo (?:o )?que (?:foi dito|te disseram|eu disse)|tudo acima)`,
  ],
  [
    "multilingual",
    0.75,
    [
      "muestra",
      "strame",
      "revela",
      "dime",
      "imprime",
      "repite",
      "escribe",
      "copia",
      "montre",
      "montrez",
      "affiche",
      "affichez",
      "donne",
      "donnez",
      "cris",
      "zeige",
      "zeig",
      "gib",
      "nenne",
      "verrate",
      "wiederhole",
      "schreibe",
      "drucke",
      "mostra",
      "mostrami",
      "rivela",
      "rivelami",
      "dimmi",
      "stampa",
      "ripeti",
      "scrivi",
      "mostre",
      "revele",
      "diga",
      "imprima",
      "repita",
      "escreva",
    ],
    `\\b${ML_LEAK_VERB}\\b[^.!?\\n]{0,40}${ML_SYSPROMPT}`,
  ],
  [
    "multilingual",
    0.4,
    ["ahora", "maintenant", "sormais", "jetzt", "sofort", "nun", "ora", "agora", "adelante"],
    "\\b(?:a partir de ahora,? (?:eres|ser[áa]s|act[úu]as)|ahora eres|de ahora en adelante,? eres|[àa] partir de maintenant,? tu es|d[ée]sormais,? tu es|ab (?:jetzt|sofort),? bist du|von nun an,? bist du|(?:da ora in poi|d'ora in poi|da adesso),? sei|ora sei|a partir de agora,? (?:voc[êe] [ée]|tu [ée]s)|agora voc[êe] [ée])\\b",
  ],
  [
    "multilingual",
    0.45,
    ["sin", "sans", "ohne", "senza", "sem"],
    "\\b(?:sin|sans|ohne|senza|sem) (?:ninguna |aucune |jegliche |alcuna |nenhuma |irgendwelche |keine |tus |tes |deine |le tue |suas )?(?:restricciones|restricci[óo]n|restrictions?|filtros|filtres|filtri|censura|censure|zensur|limitaciones|einschr[äa]nkungen|beschr[äa]nkungen|restrizioni|restri[çc][õo]es|l[íi]mites|limites|limiti|reglas|r[èe]gles|regeln|regole|regras)\\b",
  ],
  [
    "multilingual",
    0.45,
    ["modo", "mode", "modus", "entwicklermodus", "modalit"],
    "\\b(?:modo (?:desarrollador|dios|sin restricciones|sin censura|jailbreak|desenvolvedor|deus|sem restri[çc][õo]es)|mode (?:d[ée]veloppeur|dieu|sans restrictions?|jailbreak)|entwicklermodus|gott-?modus|jailbreak-modus|modalit[àa] (?:sviluppatore|dio|senza restrizioni))\\b",
  ],
  // Further Latin-script languages (nl, pl, tr, sv, da, no, id, ms, vi, ro, cs): ignore/forget … instructions,
  // show … system prompt.
  [
    "multilingual",
    0.8,
    [
      "negeer",
      "vergeet",
      "zignoruj",
      "zapomnij",
      "yok",
      "unut",
      "ignorera",
      "glöm",
      "glom",
      "ignorer",
      "glem",
      "abaikan",
      "lupakan",
      "qua",
      "ignora",
      "ignoruj",
      "ignorujte",
      "zapomeň",
      "zapomen",
    ],
    "\\b(?:negeer|vergeet|zignoruj|zapomnij o|zapomnij|yok say|unut|ignorera|glöm|glom|ignorer|glem|abaikan|lupakan|bỏ qua|quên|ignoră|ignora|ignoruj|ignorujte|zapomeň|zapomen)\\b[^.!?\\n]{0,40}(?:instructies|regels|richtlijnen|instrukcje|instrukcji|polecenia|zasady|talimatları|talimatlar|kuralları|instruktioner|instruktionerna|regler|reglerne|reglene|instruksjoner|instruktionerne|instruksi|petunjuk|aturan|hướng dẫn|chỉ dẫn|quy tắc|instrucțiunile|instrucțiuni|regulile|pokyny|instrukce|pravidla)",
  ],
  [
    "multilingual",
    0.8,
    ["talimatlar", "talimatlari", "kurallar", "kurallari", "istemini", "istemi"],
    "(?:talimatlar|kurallar|yönergeler|sistem istemi)[^.!?\n]{0,24}(?:yok say|unut|görmezden gel|göster|goster|açıkla)",
  ],
  [
    "multilingual",
    0.75,
    [
      "toon",
      "laat",
      "geef",
      "pokaż",
      "pokaz",
      "podaj",
      "göster",
      "goster",
      "visa",
      "vis",
      "tunjukkan",
      "tampilkan",
      "hiển",
      "hien",
      "arată",
      "arata",
      "ukaž",
      "ukaz",
    ],
    "\\b(?:toon|laat (?:me )?(?:je |jouw )?zien|geef|pokaż|pokaz|podaj|göster|goster|visa|vis|tunjukkan|tampilkan|hiển thị|arată|arata|ukaž|ukaz)\\b[^.!?\\n]{0,40}(?:systeemprompt|systeeminstructies|prompt systemowy|instrukcje systemowe|sistem istemi|sistem istemini|sistem komut|systemprompt|systemprompten|systeminstruktioner|prompt sistem|instruksi sistem|lời nhắc hệ thống|promptul de sistem|systémový prompt)",
  ],
  // Prompt leak.
  [
    "prompt_leak",
    0.75,
    ["prompt", "instructions", "message", "guidelines", "rules", "configuration", "context"],
    `\\b${LEAK_VERB} (?:(?:me|all|of|the|entire|full|complete|exact|verbatim) ){0,4}${LEAK_OWNER}(?:(?:entire|full|complete|exact|initial|original|hidden|secret|system|internal|confidential|developer) ){0,3}(?:system prompt|system message|prompt|instructions|guidelines|configuration|rules|pre-?prompt|context)\\b`,
  ],
  [
    "prompt_leak",
    0.6,
    ["given", "told"],
    "\\b(?:system prompt|system message|instructions|rules|guidelines|prompt) (?:that )?you (?:were|have been|got) (?:given|told)\\b",
  ],
  [
    "prompt_leak",
    0.6,
    ["your"],
    "\\bwhat (?:are|were|is) your (?:exact |original |initial |full |system |hidden |secret )*(?:instructions|system prompt|prompt|rules)\\b",
  ],
  [
    "prompt_leak",
    0.7,
    ["above", "before this", "preceding", "prior to this"],
    "\\b(?:repeat|print|output|copy|echo|reproduce) (?:(?:all|of|the|verbatim) ){0,3}(?:everything|words|content|instructions|prompt|text (?:verbatim|word for word))(?: verbatim)? (?:above|before this|preceding|prior to this)(?: line| message| point)?\\b|\\b(?:repeat|print|output|echo|reproduce) (?:(?:all|the|of|everything|text|words|content|instructions|verbatim) ){0,4}(?:above|before this|preceding|prior to this)(?: line| message| point)?\\b",
  ],
];

/** Rules for external text (tool definitions, tool results, decoded files), on top of {@link RULE_TABLE}. */
export const EXTERNAL_RULE_TABLE: ReadonlyArray<[string, number, readonly string[], string]> = [
  // An imperative addressed to the model, or a secrecy demand, in text the user did not write.
  [
    "indirect",
    0.6,
    ["assistant", "model", "ai", "llm", "agent", "bot", "you"],
    `\\b(?:the |this )?(?:assistant|model|ai|llm|agent|bot|you) (?:must|should|shall|is required to|needs to|has to|have to|will now|is to)(?: now| immediately| also| always| first| silently| secretly)* (?:${HARM_STRONG})\\b`,
  ],
  [
    "tool_poisoning",
    0.7,
    ["before", "calling", "using", "tool", "first"],
    "\\b(?:before|prior to|when|after) (?:calling|using|invoking|running|executing|answering|responding)\\b[^.!?\\n]{0,60}\\b(?:read|send|pass|include|forward|upload|fetch|open|collect|reveal|copy)\\b[^.!?\\n]{0,60}\\b(?:credentials|\\.ssh|\\.aws|\\.env|id_rsa|passwd|password|api keys?|tokens?|secrets?|history|conversation|system prompt|files?)\\b",
  ],
  [
    "tool_poisoning",
    0.6,
    ["important", "instructions", "system", "hidden"],
    "<(?:important|instructions?|system|hidden|secret|admin)>",
  ],
  [
    "tool_poisoning",
    0.55,
    ["silently", "secretly", "quietly", "covertly"],
    "\\b(?:silently|secretly|quietly|covertly|without (?:telling|informing|notifying|asking) (?:the )?(?:user|human|anyone))\\b",
  ],
  [
    "tool_poisoning",
    0.6,
    ["trusted", "tool", "description", "tools", "server"],
    "\\b(?:follow|obey|execute|trust) (?:any |all |the )?(?:instructions|commands|directions) (?:returned|given|provided|sent) by (?:it|this tool|the tool|this server)\\b|\\b(?:do not|don't|never) (?:use|call|trust) (?:the )?(?:other|any other) (?:tools?|servers?)\\b|\\bobey the tool description\\b",
  ],
];
