/**
 * `prompt-injection` (input): scores every user-supplied message (roles user,
 * tool, function, prompt, input) from 0 to 1 and blocks (or logs) when the
 * highest score reaches `threshold`.
 *
 * Each message is normalised (NFKC, zero-width characters stripped, Cyrillic and
 * Greek lookalikes mapped to Latin, lower-cased, whitespace collapsed); base64
 * runs are decoded and scanned too. Rules are grouped in families, each rule
 * with a weight; matched weights combine as `1 - Π(1 - w)`. A rule runs only
 * when one of its anchor words occurs (a cheap `indexOf` prefilter), and every
 * rule is a regex without nested or unbounded-overlapping quantifiers.
 *
 * Reason code: `prompt_injection`. Findings: family → matched rules
 * (`instruction_override`, `jailbreak`, `role_boundary`, `delimiter`, `prompt_leak`,
 * `indirect`, `social`, `multi_turn`, `multilingual`, `obfuscated`, `custom`,
 * `encoded_payload`). Letter-spaced/dotted, leetspeak, ROT13, reversed and Unicode-tag
 * variants are rescanned only when the prefilter pass flags them.
 *
 * @module
 */
import { z } from "zod";
import {
  allowDecision,
  count,
  type EvalInput,
  type PolicyDecision,
  type PolicyKindModule,
  USER_SUPPLIED_ROLES,
} from "./common.ts";
import { checkUserPattern, compileUserPattern } from "../safe_regex.ts";
import { LEADING_LETTERS, leadingWords, withoutLeadingOptional } from "./regex_starts.ts";

/** Schema of `policy.prompt-injection`. */
export const promptInjectionSchema = z.strictObject({
  threshold: z.number().min(0).max(1).default(0.5),
  encoding: z.strictObject({
    decode_base64: z.boolean().default(true),
    normalize_unicode: z.boolean().default(true),
  }).default({ decode_base64: true, normalize_unicode: true }),
  detect_homoglyphs: z.boolean().default(true),
  detection: z.strictObject({
    attack_patterns: z.array(z.string().min(1).max(1000)).max(100).default([]),
  }).default({ attack_patterns: [] }),
  response: z.strictObject({
    action: z.enum(["block", "log"]).default("block"),
    message: z.string().max(1000).default(
      "The request was blocked because it looks like a prompt-injection attempt.",
    ),
  }).default({
    action: "block",
    message: "The request was blocked because it looks like a prompt-injection attempt.",
  }),
});

/** A validated `policy.prompt-injection` block. */
export type PromptInjectionConfig = z.infer<typeof promptInjectionSchema>;

interface Rule {
  family: string;
  weight: number;
  /** Any of these substrings must occur in the normalised text for the regex to run. */
  anchors: readonly string[];
  re: RegExp;
}

const QUAL =
  "(?:all|any|every|each|the|your|these|those|of|previous|prior|above|earlier|preceding|foregoing|original|initial|current|existing|system|safety|content|ethical|moral|security|old|other|given|developer|hidden|and|former|standing)";
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
const RULE_TABLE: ReadonlyArray<[string, number, readonly string[], string]> = [
  // Instruction override.
  ["instruction_override", 0.9, VERB_ANCHORS, `\\b${VERB} (?:${QUAL} ){1,5}${TARGET}\\b`],
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
    "\\b(?:system|admin|administrator|developer|root) override\\b|\\bsudo mode\\b",
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
    "\\b(?:unrestricted|unfiltered|uncensored|amoral|unaligned|jailbroken|evil|unethical|rogue|no-limits|limitless|unbound) (?:ai|assistant|model|chatbot|llm|version of (?:yourself|you|chatgpt|the model)|persona|twin|alter ego)\\b",
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
    "\\b(?:hypothetical(?:ly)?|fictional|in a story)\\b.{0,60}\\b(?:no (?:rules|restrictions|filters|ethics)|without (?:rules|restrictions|filters|ethics)|ignore (?:your|all) (?:rules|guidelines|restrictions))",
  ],
  // Fake system / role boundaries.
  [
    "role_boundary",
    0.95,
    ["<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>"],
    "<\\|(?:im_start|im_end|system|user|assistant|endoftext|end_of_turn|start_header_id|end_header_id|eot_id|begin_of_text|im_sep)\\|>|\\[/?inst\\]|<</?sys>>",
  ],
  [
    "role_boundary",
    0.85,
    ["#"],
    "(?:^|\\n) ?#{1,4} ?(?:system|assistant|developer|admin|instruction|instructions)(?: message| prompt)? ?:?(?: |\\n|$)",
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
    "</?(?:system|system_prompt|sys|admin|instructions|developer)(?: [^>]{0,40})?>|\\[(?:system|admin|developer)(?: message| note| override)?\\]|\\{\\{system\\}\\}",
  ],
  ["role_boundary", 0.9, ["human:", "user:"], "(?:^|\\n)(?:human|user): .{0,200}\\n(?:assistant|ai): "],
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
  ["delimiter", 0.7, ["```", "'''"], "(?:```|''')(?:system|instructions|prompt|admin)\\b"],
  ["delimiter", 0.8, ["<|"], "<\\|[a-z_]{2,24}\\|>"],
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
    "\\b(?:repeat|print|output|copy|echo|reproduce) (?:(?:all|the|of|everything|text|words|content|instructions|verbatim) ){0,4}(?:above|before this|preceding|prior to this)(?: line| message| point)?\\b",
  ],
];

/** Built-in rules, compiled once at module load. */
export const BUILTIN_RULES: readonly Rule[] = RULE_TABLE.map(([family, weight, anchors, source]) =>
  r(family, weight, anchors, source)
);

function r(family: string, weight: number, anchors: readonly string[], source: string): Rule {
  return { family, weight, anchors, re: new RegExp(source) };
}

const ZERO_WIDTH =
  /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;
const NON_ASCII = /[^ -~\t\n\r]/;
const SPACES = /[^\S\n]+/g;
const ODD_SPACE = /[^\S \n]| {2}/;

const HOMOGLYPHS: Record<string, string> = {
  // Cyrillic
  "а": "a",
  "в": "b",
  "е": "e",
  "ё": "e",
  "к": "k",
  "м": "m",
  "н": "h",
  "о": "o",
  "р": "p",
  "с": "c",
  "т": "t",
  "у": "y",
  "х": "x",
  "і": "i",
  "ї": "i",
  "ј": "j",
  "ѕ": "s",
  "ԁ": "d",
  "һ": "h",
  "ӏ": "l",
  "ԛ": "q",
  "ԝ": "w",
  "ɡ": "g",
  "ո": "n",
  "ս": "u",
  "А": "a",
  "В": "b",
  "Е": "e",
  "К": "k",
  "М": "m",
  "Н": "h",
  "О": "o",
  "Р": "p",
  "С": "c",
  "Т": "t",
  "Х": "x",
  "У": "y",
  "І": "i",
  "Ј": "j",
  "Ѕ": "s",
  "Ԁ": "d",
  "Ԛ": "q",
  "Ԝ": "w",
  "ԍ": "g",
  // Greek
  "α": "a",
  "β": "b",
  "ε": "e",
  "η": "n",
  "ι": "i",
  "κ": "k",
  "ν": "v",
  "ο": "o",
  "ρ": "p",
  "τ": "t",
  "υ": "u",
  "χ": "x",
  "γ": "y",
  "ω": "w",
  "Α": "a",
  "Β": "b",
  "Ε": "e",
  "Ζ": "z",
  "Η": "h",
  "Ι": "i",
  "Κ": "k",
  "Μ": "m",
  "Ν": "n",
  "Ο": "o",
  "Ρ": "p",
  "Τ": "t",
  "Υ": "y",
  "Χ": "x",
  // Latin lookalikes outside ASCII that NFKC keeps
  "ı": "i",
  "ȷ": "j",
  "ℓ": "l",
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`, "g");

/** Normalises a message for rule matching. */
export function normalizeForScan(text: string, unicode: boolean, homoglyphs: boolean): string {
  const t = foldText(text, NON_ASCII.test(text), unicode, homoglyphs);
  // Collapse horizontal whitespace runs (and exotic spaces) to one space; newlines stay.
  return ODD_SPACE.test(t) ? t.replace(SPACES, " ") : t;
}

/**
 * {@link normalizeForScan} up to lower-casing, with the non-ASCII test of `text` already done;
 * the whitespace test is left to the prefilter pass ({@link RuleSet.lastOddSpace}).
 */
function foldText(text: string, nonAscii: boolean, unicode: boolean, homoglyphs: boolean): string {
  let t = text;
  if (nonAscii) {
    let flags: number;
    if (unicode) {
      t = nfkcVisible(t);
      flags = nfkcFlags;
    } else flags = homoglyphs ? foldFlags(t) : 0;
    if (unicode && flags & FOLD_QUOTE) t = t.replace(/[\u2018\u2019\u02bc]/g, "'");
    if (homoglyphs && flags & FOLD_HOMOGLYPH) t = t.replace(HOMOGLYPH_RE, (ch) => HOMOGLYPHS[ch] ?? ch);
  }
  return t.toLowerCase();
}

const FOLD_ZERO_WIDTH = 1, FOLD_QUOTE = 2, FOLD_HOMOGLYPH = 4;
/**
 * What a UTF-16 code unit may need: zero-width removal (`\udb40` for the tag pairs), quote folding,
 * homoglyph mapping. One pass over this table replaces three regex scans that mostly find nothing.
 */
const FOLD_FLAGS = new Uint8Array(0x10000);
for (const c of [0xad, 0x180e, 0xfeff, 0xdb40]) FOLD_FLAGS[c] |= FOLD_ZERO_WIDTH;
for (const [lo, hi] of [[0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x2064], [0x2066, 0x2069]]) {
  for (let c = lo; c <= hi; c++) FOLD_FLAGS[c] |= FOLD_ZERO_WIDTH;
}
for (const c of [0x2018, 0x2019, 0x02bc]) FOLD_FLAGS[c] |= FOLD_QUOTE;
for (const key of Object.keys(HOMOGLYPHS)) {
  for (let i = 0; i < key.length; i++) FOLD_FLAGS[key.charCodeAt(i)] |= FOLD_HOMOGLYPH;
}

/** The FOLD_* flags of the code units of `t` (a superset test: the regexes then decide). */
function foldFlags(t: string): number {
  let flags = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xad) flags |= FOLD_FLAGS[c];
  }
  return flags;
}

let nfkcIn = "";
let nfkcOut = "";
/** {@link foldFlags} of `nfkcOut`. */
let nfkcFlags = 0;
/**
 * `text` in NFKC without zero-width and bidi controls. Remembers the last answer: a message's
 * original scan and its multilingual rules both need it.
 */
function nfkcVisible(text: string): string {
  if (text === nfkcIn) return nfkcOut;
  let t = text.normalize("NFKC");
  let flags = foldFlags(t);
  if (flags & FOLD_ZERO_WIDTH) {
    t = t.replace(ZERO_WIDTH, "");
    flags = foldFlags(t);
  }
  nfkcIn = text;
  nfkcOut = t;
  nfkcFlags = flags;
  return t;
}

/** True for the characters `[^\S \n]` matches above ASCII (`\s` minus space and newline). */
function isWideSpace(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Rules for scripts the homoglyph map would garble (Chinese, Japanese, Russian): they run on
 * NFKC + lower-cased text without homoglyph mapping, and only when such characters occur.
 */
const SCRIPT_RULES: readonly RegExp[] = [
  // zh: ignore/forget … instructions/rules/prompt
  /(?:忽略|无视|無視|忽视|忽視|不要理会|不要理會|不要管|忘记|忘記|忘掉|忘了|抛开|拋開|放弃|放棄)[^。！？\n]{0,16}(?:指令|指示|规则|規則|提示词|提示詞|提示|设定|設定|要求|命令|限制)/,
  // zh: show/tell … system prompt
  /(?:显示|顯示|告诉我|告訴我|输出|輸出|打印|重复|重複|泄露|洩露|透露|给我看|給我看|展示|说出|說出|列出|发给我|發給我)[^。！？\n]{0,16}(?:系统提示|系統提示|系统指令|系統指令|系统消息|系統消息|初始指令|隐藏指令|隱藏指令|原始指令|提示词|提示詞|系统设定|系統設定)|(?:系统提示|系統提示|系统指令|系統指令|初始指令|隐藏指令|原始指令)[^。！？\n]{0,16}(?:告诉我|告訴我|显示|顯示|输出|輸出|发给我|給我看|给我看)/,
  // ja: (previous) instructions … ignore/forget
  /(?:以前|前|これまで|今まで|上記|先|最初|元)の?[^。！？\n]{0,10}(?:指示|命令|ルール|プロンプト|指令|設定)[^。！？\n]{0,10}(?:無視|忘れ)/,
  // ja: system prompt … show/tell
  /(?:システムプロンプト|システム・プロンプト|システムメッセージ|初期指示|元の指示|隠された指示|最初の指示|内部指示)[^。！？\n]{0,12}(?:表示|見せ|教え|出力|開示|公開|繰り返|書き出|印刷)/,
  // ru: ignore/forget … instructions/rules
  /(?:игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|не обращай внимания на|не обращайте внимания на|отбрось|отбросьте|пренебреги|отмени|отмените)[^.!?\n]{0,40}(?:инструкци|указани|правил|команд|установк|директив|ограничени)/,
  // ru: show … system prompt / hidden instructions
  /(?:покажи|покажите|выведи|выведите|раскрой|раскройте|повтори|повторите|напечатай|скажи|расскажи|дай|напиши|перескажи)[^.!?\n]{0,30}(?:системн(?:ый|ого|ые|ых|ое|ую) (?:промпт|подсказк|инструкци|сообщени|запрос)|(?:исходн|скрыт|первоначальн|начальн|секретн)(?:ые|ых|ый|ого|ую) (?:инструкци|указани|промпт))/,
];
const SCRIPT_CHARS = /[\u0400-\u04ff\u3040-\u30ff\u3400-\u9fff]/;

/**
 * Obfuscation variants. When the prefilter sees single letters in a row (`i g n o r e`,
 * `i.g.n.o.r.e`), words mixing letters and digits (`1gn0r3`), ROT13 or reversed forms of
 * the high-signal words, the text is also scanned as de-spaced + de-leeted, ROT13-decoded
 * or reversed; letter-spaced text without word gaps is also checked in compact form.
 */
const VAR_DEOBF = 1, VAR_ROT13 = 2, VAR_REVERSED = 4;
const VARIANT_TRIGGERS: ReadonlyArray<[string, number]> = [
  ...["vtaber", "qvfertneq", "cerivbhf", "vafgehpgvbaf", "flfgrz", "cebzcg", "erirny", "sbetrg", "ehyrf"].map(
    (
      w,
    ): [string, number] => [w, VAR_ROT13],
  ),
  ...["erongi", "dragersid", "suoiverp", "snoitcurtsni", "tpmorp", "metsys", "laever", "tegrof", "selur"].map(
    (
      w,
    ): [string, number] => [w, VAR_REVERSED],
  ),
];
const SPACED_LETTERS = /(?<![a-z0-9])([a-z0-9])[ .\-_*·] ?(?=[a-z0-9](?![a-z0-9]))/g;
const ALNUM_TOKEN = /[a-z0-9@$]+/g;
const LEET: Record<string, string> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  "$": "s",
};
const LEET_CHARS = /[013457@$]/g;
const COMPACT_RULE =
  /(?:ignore|disregard|forget|bypass|override)(?:all|any|the|your|my|of){0,2}(?:previous|prior|above|earlier|preceding|former|system|original|safety)?(?:instructions?|rules|prompts?|guidelines|directives)|(?:reveal|print|show|output|repeat|leak|display|dump|tellme|giveme)(?:me)?(?:your|the)(?:full|entire|hidden|secret|initial|original)?(?:systemprompt|systemmessage|instructions|initialprompt|prompt)|jailbreak|doanythingnow/;

const SUFFIXES = new Set(["st", "nd", "rd", "th", "am", "pm"]);

/**
 * Whether the token ending at `end` is digits followed by an ordinal or clock suffix (`3rd`, `21st`,
 * `10am`): common in ordinary prompts (dates, times), never leetspeak, so not a reason to deobfuscate.
 */
function numberSuffix(t: string, end: number): boolean {
  const d = t.charCodeAt(end - 3);
  return d >= 48 && d <= 57 && SUFFIXES.has(t.slice(end - 2, end));
}

/** `LEET` as char codes by digit (0 where a digit stands for no letter). */
const LEET_CODES = Uint8Array.from("0123456789", (d) => LEET[d]?.charCodeAt(0) ?? 0);

/**
 * Words of injection phrases (the compact rule's and the rules' vocabulary), keyed by their first four
 * letters (three-letter words by all three). A letter+digit token counts towards the deobfuscation
 * rescan only when, with its leet digits read as letters, it starts like one of them (`1gn0r3`,
 * `pr3v10us`, `syst3m`, `y0u`, `4r3`): technical tokens (`gpt4o`, `k8s`, `mp3`, `4k`, `1080p`, `h264`)
 * no longer cost a rescan of the whole text.
 */
const LEET_WORDS: ReadonlySet<number> = new Set(
  (
    "ignore disregard forget bypass override previous prior above earlier preceding former system original " +
    "safety instructions rules prompts guidelines directives reveal print show output repeat leak display dump " +
    "tell give full entire hidden secret initial jailbreak anything restrictions unrestricted unfiltered " +
    "uncensored developer mode admin password credentials pretend roleplay persona filter policy policies " +
    "content ethical limits limitations execute command confidential sudo root obey comply instead message " +
    "conversation context assistant everything without you are now all the act dan new any own"
  ).split(" ").map((w) => leetKey(w, 0, w.length)),
);

/**
 * Base-27 key of the first four characters (three for a three-character token) of the `len`-character
 * token at `start`, leet digits read as letters; -1 when the token is shorter or not a word.
 */
function leetKey(t: string, start: number, len: number): number {
  if (len < 3) return -1;
  const end = start + Math.min(len, 4);
  let k = 0;
  for (let i = start; i < end; i++) {
    let c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) c = LEET_CODES[c - 48];
    if (c < 97 || c > 122) return -1;
    k = k * 27 + (c - 96);
  }
  return k;
}

function deobfuscate(text: string): string {
  const t = text.toLowerCase().replace(SPACED_LETTERS, "$1");
  return t.replace(ALNUM_TOKEN, (tok) => (/[a-z]/.test(tok) ? tok.replace(LEET_CHARS, (c) => LEET[c]) : tok));
}

function rot13(t: string): string {
  return t.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 84) % 26) + 97));
}

const TAG_CHARS = /\udb40[\udc20-\udc7e]/g;
const HAS_TAG_CHARS = /\udb40[\udc20-\udc7e]/;

function decodeTags(text: string): string {
  let out = "";
  for (const m of text.matchAll(TAG_CHARS)) out += String.fromCharCode(m[0].charCodeAt(1) - 0xdc00);
  return out;
}

const BASE64_MIN = 16;
const MAX_DECODES = 16;

/** Finds base64 runs (≥ 16 characters) and returns the printable decodings. */
export function decodeBase64Runs(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n && out.length < MAX_DECODES) {
    const c = text.charCodeAt(i);
    if (!isB64(c)) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && isB64(text.charCodeAt(j))) j++;
    let end = j;
    while (end < n && end - j < 2 && text.charCodeAt(end) === 61) end++;
    const len = j - i;
    if (len >= BASE64_MIN && len <= 1 << 16 && mayDecodeToText(text, i, j)) {
      const run = text.slice(i, end);
      const decoded = tryDecode(run);
      if (decoded) out.push(decoded);
    }
    i = end + (end === i ? 1 : 0);
  }
  return out;
}

/** Base64 (and base64url) sextet values by character code; 255 for characters outside the alphabet. */
const SEXTET = new Uint8Array(128).fill(255);
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".split("").forEach((ch, v) => {
  SEXTET[ch.charCodeAt(0)] = v;
});
SEXTET[45] = 62; // "-" (base64url)
SEXTET[95] = 63; // "_"

function isTextByte(b: number): boolean {
  return (b >= 32 && b < 127) || b === 10 || b === 13 || b === 9;
}

/**
 * Whether the run `text[i..j)` decodes to at least 8 bytes of which 90% are text, counted without
 * decoding it into a string: the check {@link tryDecode} makes, done first and allocation-free, so
 * that identifiers, paths and hyphenated words (most runs) cost a few table lookups.
 */
function mayDecodeToText(text: string, i: number, j: number): boolean {
  if ((j - i) % 4 === 1) return false;
  let bytes = 0;
  let printable = 0;
  for (let k = i; k < j; k += 4) {
    const v0 = SEXTET[text.charCodeAt(k)], v1 = SEXTET[text.charCodeAt(k + 1)];
    printable += isTextByte(((v0 << 2) | (v1 >> 4)) & 255) ? 1 : 0;
    bytes++;
    if (k + 2 >= j) break;
    const v2 = SEXTET[text.charCodeAt(k + 2)];
    printable += isTextByte((((v1 & 15) << 4) | (v2 >> 2)) & 255) ? 1 : 0;
    bytes++;
    if (k + 3 >= j) break;
    printable += isTextByte((((v2 & 3) << 6) | SEXTET[text.charCodeAt(k + 3)]) & 255) ? 1 : 0;
    bytes++;
  }
  return bytes >= 8 && printable / bytes >= 0.9;
}

const B64 = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
  B64[ch.charCodeAt(0)] = 1;
}

function isB64(c: number): boolean {
  return c < 128 && B64[c] === 1;
}

function tryDecode(run: string): string | null {
  // Runs of pure letters are words, not payloads; require a digit, '+', '/', '=' or mixed case.
  if (!/[0-9+\/=_-]/.test(run) && !(/[a-z]/.test(run) && /[A-Z]/.test(run))) return null;
  let s = run.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (s.length % 4 === 1) return null;
  while (s.length % 4 !== 0) s += "=";
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  let printable = 0;
  for (let i = 0; i < bin.length; i++) {
    const c = bin.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) printable++;
  }
  if (bin.length < 8 || printable / bin.length < 0.9) return null;
  try {
    return new TextDecoder("utf-8", { fatal: false }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
  } catch {
    return bin;
  }
}

/** Result of scoring one text. */
export interface InjectionScore {
  score: number;
  /** Matched rules by family. */
  families: Record<string, number>;
}

/** Scanner options of {@link scoreText}. */
interface ScanOptions {
  unicode: boolean;
  homoglyphs: boolean;
  base64: boolean;
}

/** The running score of one message: the product of `1 - w` over matched rules, and the families. */
interface Tally {
  keep: number;
  families: Record<string, number>;
}

/** Normalises `raw`, runs the rules on it and multiplies matches into `tally`; returns the normalised text. */
function scanInto(
  set: RuleSet,
  raw: string,
  nonAscii: boolean,
  bonus: number,
  opts: ScanOptions,
  tally: Tally,
): string {
  let t = foldText(raw, nonAscii, opts.unicode, opts.homoglyphs);
  let active = set.activeRules(t);
  if (set.lastOddSpace) {
    // Tabs, CRs, exotic or repeated spaces: collapse them as normalizeForScan does and scan again.
    t = t.replace(SPACES, " ");
    active = set.activeRules(t);
  }
  const rules = set.rules;
  for (let i = 0; i < rules.length; i++) {
    if (active[i] === 0 || !set.matches(i, t)) continue;
    const rule = rules[i];
    count(tally.families, rule.family);
    tally.keep *= 1 - Math.min(1, rule.weight + bonus);
  }
  return t;
}

/** Scans a variant of the message; counts `family` once when it matched anything. */
function scanVariant(set: RuleSet, raw: string, family: string, opts: ScanOptions, tally: Tally): void {
  const before = tally.keep;
  scanInto(set, raw, NON_ASCII.test(raw), 0.05, opts, tally);
  if (tally.keep < before) count(tally.families, family);
}

/** Scores a text against rules; returns the combined score and the matched families. */
export function scoreText(text: string, rules: readonly Rule[] | RuleSet, opts: ScanOptions): InjectionScore {
  const set = rules instanceof RuleSet ? rules : new RuleSet(rules);
  const tally: Tally = { keep: 1, families: {} };
  const nonAscii = NON_ASCII.test(text);
  const t0 = scanInto(set, text, nonAscii, 0, opts, tally);
  const maybeBase64 = set.lastHadBase64Run;
  const variants = set.lastVariants;
  if (variants !== 0) {
    if (variants & VAR_DEOBF) {
      const d = deobfuscate(text);
      scanVariant(set, d, "obfuscated", opts, tally);
      if (COMPACT_RULE.test(d.replace(/[^a-z]/g, ""))) {
        count(tally.families, "obfuscated");
        tally.keep *= 0.1;
      }
    }
    if (variants & VAR_ROT13) scanVariant(set, rot13(t0), "obfuscated", opts, tally);
    if (variants & VAR_REVERSED) scanVariant(set, [...t0].reverse().join(""), "obfuscated", opts, tally);
  }
  if (nonAscii) {
    if (opts.unicode && HAS_TAG_CHARS.test(text)) {
      scanVariant(set, decodeTags(text), "obfuscated", opts, tally);
    }
    if (SCRIPT_CHARS.test(text)) {
      const t = nfkcVisible(text).toLowerCase();
      for (const re of SCRIPT_RULES) {
        if (!re.test(t)) continue;
        count(tally.families, "multilingual");
        tally.keep *= 1 - 0.8;
      }
    }
  }
  if (opts.base64 && maybeBase64) {
    for (const decoded of decodeBase64Runs(text)) scanVariant(set, decoded, "encoded_payload", opts, tally);
  }
  return { score: 1 - tally.keep, families: tally.families };
}

const SYM_LT_PIPE = 1, SYM_HASH = 2, SYM_COLON = 4, SYM_BACKTICK = 8, SYM_QUOTE3 = 16;
const KEY_LETTERS = LEADING_LETTERS;
/** Word keys are looked up in an open-addressing table of this many bits (a few hundred keys). */
const TABLE_BITS = 12;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const HASH_MUL = 0x9e3779b1;
/** Word positions recorded per scan; beyond this every rule scans the whole text. */
const POSITION_POOL = 4096;

function wordKey(word: string): number {
  let k = 0;
  for (let i = 0; i < word.length && i < KEY_LETTERS; i++) k = k * 27 + (word.charCodeAt(i) - 96);
  return k;
}

/** What one word key stands for: rules it activates, obfuscation triggers, and its start-position slot. */
interface KeyEntry {
  rules: number[];
  bits: number;
  /** Index of the position list of this word when some rule can start matching at it, else -1. */
  slot: number;
}

/** A regex source with the same "matches somewhere" answer as a rule's, and its leading words. */
interface StickyForm {
  source: string;
  words: string[] | null;
}

/** Sticky forms of rules ({@link leadingWords}, {@link withoutLeadingOptional}), analysed once per rule. */
const stickyCache = new WeakMap<Rule, StickyForm>();

function stickyForm(rule: Rule): StickyForm {
  let form = stickyCache.get(rule);
  if (form === undefined) {
    const { source, flags } = rule.re;
    const shorter = withoutLeadingOptional(source, flags);
    form = shorter !== null
      ? { source: shorter, words: leadingWords(shorter, flags) }
      : { source, words: leadingWords(source, flags) };
    stickyCache.set(rule, form);
  }
  return form;
}

/**
 * Rules with a one-pass prefilter: every anchor is reduced to the first six letters of its
 * longest word (or to a symbol such as `<|`), and one scan over the normalised text marks
 * which rules can possibly match; only those run their regex. This replaces ~120 `indexOf`
 * scans per message by one pass (and tells whether a base64 run of 16+ characters exists).
 *
 * The same pass records where the words occur that a rule's matches must start with
 * ({@link leadingWords}); {@link RuleSet.matches} then tries the rule's regex only at those
 * positions (a sticky test each) instead of searching the whole text, which gives the same
 * answer because no match can start anywhere else.
 */
export class RuleSet {
  readonly rules: readonly Rule[];
  // Word key -> entry, as typed arrays for the hot loop: `#tableKeys[h]` (0 = empty) and
  // `#tableEntry[h]`; entry `e` activates `#entryRules[#entryRulesStart[e] ..< #entryRulesStart[e + 1]]`,
  // sets `#entryBits[e]` and records its position in slot `#entrySlot[e]` (when >= 0).
  readonly #tableKeys = new Int32Array(TABLE_MASK + 1);
  readonly #tableEntry = new Int32Array(TABLE_MASK + 1);
  readonly #entryRulesStart: Int32Array;
  readonly #entryRules: Int32Array;
  readonly #entryBits: Int32Array;
  readonly #entrySlot: Int32Array;
  readonly #bySymbol: Array<[number, number]> = [];
  readonly #always: number[] = [];
  readonly #active: Uint8Array;
  /** Per rule: a sticky copy of its regex and the slots of its leading words, or null (search the text). */
  readonly #sticky: Array<RegExp | null> = [];
  readonly #ruleSlots: Array<Int32Array | null> = [];
  // Word positions of the last scan: a linked list per slot in one pool, valid when `#gen[slot] === #curGen`.
  readonly #pos = new Int32Array(POSITION_POOL);
  readonly #next = new Int32Array(POSITION_POOL);
  #head = new Int32Array(0);
  #count = new Int32Array(0);
  #gen = new Uint32Array(0);
  #curGen = 0;
  #used = 0;
  /** Whether the last scanned text had a run of 16+ base64 characters. */
  lastHadBase64Run = false;
  /** Obfuscation variants (`VAR_*` bits) the last scanned text calls for. */
  lastVariants = 0;
  /** Whether the last scanned text had whitespace that normalisation collapses (`ODD_SPACE`). */
  lastOddSpace = false;

  constructor(rules: readonly Rule[]) {
    this.rules = rules;
    this.#active = new Uint8Array(rules.length);
    const entries = new Map<number, KeyEntry>();
    const entry = (key: number): KeyEntry => {
      let e = entries.get(key);
      if (!e) {
        e = { rules: [], bits: 0, slot: -1 };
        entries.set(key, e);
      }
      return e;
    };
    for (const [word, bit] of VARIANT_TRIGGERS) entry(wordKey(word)).bits |= bit;
    let slots = 0;
    rules.forEach((rule, i) => {
      if (rule.anchors.length === 0) this.#always.push(i);
      for (const anchor of rule.anchors) {
        const words = anchor.match(/[a-z]+/g);
        if (words) {
          const longest = words.reduce((x, y) => (y.length > x.length ? y : x));
          const list = entry(wordKey(longest)).rules;
          if (!list.includes(i)) list.push(i);
          continue;
        }
        const sym = anchor.includes("<|")
          ? SYM_LT_PIPE
          : anchor.includes("#")
          ? SYM_HASH
          : anchor.includes(":")
          ? SYM_COLON
          : anchor.includes("`")
          ? SYM_BACKTICK
          : anchor.includes("'")
          ? SYM_QUOTE3
          : 0;
        if (sym) this.#bySymbol.push([sym, i]);
        else this.#always.push(i);
      }
      const sticky = rule.anchors.length > 0 ? stickyForm(rule) : null;
      const leading = sticky?.words ?? null;
      if (sticky === null || leading === null) {
        this.#sticky.push(null);
        this.#ruleSlots.push(null);
        return;
      }
      const ruleSlots = new Set<number>();
      for (const word of leading) {
        const e = entry(wordKey(word));
        if (e.slot < 0) e.slot = slots++;
        ruleSlots.add(e.slot);
      }
      this.#sticky.push(new RegExp(sticky.source, rule.re.flags + "y"));
      this.#ruleSlots.push(Int32Array.from(ruleSlots));
    });
    this.#head = new Int32Array(slots);
    this.#count = new Int32Array(slots);
    this.#gen = new Uint32Array(slots);
    const all = [...entries];
    this.#entryRulesStart = new Int32Array(all.length + 1);
    this.#entryRules = new Int32Array(all.reduce((sum, [, e]) => sum + e.rules.length, 0));
    this.#entryBits = new Int32Array(all.length);
    this.#entrySlot = new Int32Array(all.length);
    let r = 0;
    all.forEach(([key, e], index) => {
      this.#entryRulesStart[index] = r;
      for (const i of e.rules) this.#entryRules[r++] = i;
      this.#entryBits[index] = e.bits;
      this.#entrySlot[index] = e.slot;
      let h = Math.imul(key, HASH_MUL) >>> (32 - TABLE_BITS);
      while (this.#tableKeys[h] !== 0) h = (h + 1) & TABLE_MASK;
      this.#tableKeys[h] = key;
      this.#tableEntry[h] = index;
    });
    this.#entryRulesStart[all.length] = r;
  }

  /** Marks the rules whose anchors occur in `t` (lower-cased); the array is reused per call. */
  activeRules(t: string): Uint8Array {
    const active = this.#active;
    active.fill(0);
    for (const i of this.#always) active[i] = 1;
    if (++this.#curGen === 0xffffffff) {
      this.#gen.fill(0);
      this.#curGen = 1;
    }
    const gen = this.#curGen;
    this.#used = 0;
    const tableKeys = this.#tableKeys;
    const tableEntry = this.#tableEntry;
    const entryRulesStart = this.#entryRulesStart;
    const entryRules = this.#entryRules;
    let symbols = 0;
    let b64run = 0;
    let hadB64 = false;
    let variants = 0;
    let tokLetters = 0;
    let tokDigits = 0;
    let singles = 0;
    let mixed = 0;
    let leetWord = false;
    let oddSpace = false;
    const n = t.length;
    let p = 0;
    for (;;) {
      let c = p < n ? t.charCodeAt(p) : 32;
      if (c >= 97 && c <= 122) {
        // A run of letters: its key is the first KEY_LETTERS letters.
        const start = p;
        let key = c - 96;
        const keyEnd = Math.min(n, p + KEY_LETTERS);
        for (p++; p < keyEnd; p++) {
          c = t.charCodeAt(p);
          if (c < 97 || c > 122) break;
          key = key * 27 + (c - 96);
        }
        if (p === keyEnd) {
          for (; p < n; p++) {
            c = t.charCodeAt(p);
            if (c < 97 || c > 122) break;
          }
        }
        const len = p - start;
        tokLetters += len;
        b64run += len;
        if (b64run >= 16) hadB64 = true;
        for (
          let h = Math.imul(key, HASH_MUL) >>> (32 - TABLE_BITS);
          tableKeys[h] !== 0;
          h = (h + 1) & TABLE_MASK
        ) {
          if (tableKeys[h] !== key) continue;
          const e = tableEntry[h];
          for (let r = entryRulesStart[e], end = entryRulesStart[e + 1]; r < end; r++) {
            active[entryRules[r]] = 1;
          }
          variants |= this.#entryBits[e];
          const slot = this.#entrySlot[e];
          if (slot >= 0) this.#record(slot, start, gen);
          break;
        }
        continue;
      }
      if (c >= 48 && c <= 57) {
        tokDigits++;
        if (++b64run >= 16) hadB64 = true;
      } else {
        // token end: single characters in a row (`i g n o r e`) or letters mixed with digits (`1gn0r3`)
        const len = tokLetters + tokDigits;
        if (len === 1) {
          if (++singles >= 4) variants |= VAR_DEOBF;
        } else if (len > 1) {
          singles = 0;
          if (tokLetters > 0 && tokDigits > 0 && !(tokLetters === 2 && numberSuffix(t, p))) {
            mixed++;
            if (!leetWord) leetWord = LEET_WORDS.has(leetKey(t, p - len, len));
            if (mixed >= 2 && leetWord) variants |= VAR_DEOBF;
          }
        }
        tokLetters = 0;
        tokDigits = 0;
        if (c === 32) {
          // The common case first: a space (two in a row are collapsed by normalisation).
          if (p < n && p > 0 && t.charCodeAt(p - 1) === 32) oddSpace = true;
          b64run = 0;
        } else {
          if (c < 32) {
            if (c === 9 || c === 11 || c === 12 || c === 13) oddSpace = true;
          } else if (c >= 0xa0 && isWideSpace(c)) oddSpace = true;
          if (c === 124 && p > 0 && t.charCodeAt(p - 1) === 60) symbols |= SYM_LT_PIPE;
          else if (c === 35) symbols |= SYM_HASH;
          else if (c === 58) symbols |= SYM_COLON;
          else if (c === 96) symbols |= SYM_BACKTICK;
          else if (c === 39 && t.charCodeAt(p + 1) === 39) symbols |= SYM_QUOTE3;
          // base64 alphabet (lower-cased text: letters, digits, + / - _ =)
          if (c === 43 || c === 47 || c === 45 || c === 95) {
            if (++b64run >= 16) hadB64 = true;
          } else b64run = 0;
          if (c > 0x3000 && c !== 0xfeff) {
            // CJK and other characters above the wide spaces: a run of them changes nothing more.
            for (
              let d = t.charCodeAt(p + 1);
              p + 1 < n && d > 0x3000 && d !== 0xfeff;
              d = t.charCodeAt(p + 1)
            ) p++;
          }
        }
      }
      if (++p > n) break;
    }
    if (symbols !== 0) { for (const [sym, i] of this.#bySymbol) if (symbols & sym) active[i] = 1; }
    this.lastVariants = variants;
    this.lastHadBase64Run = hadB64;
    this.lastOddSpace = oddSpace;
    return active;
  }

  #record(slot: number, position: number, gen: number): void {
    if (this.#gen[slot] !== gen) {
      this.#gen[slot] = gen;
      this.#head[slot] = -1;
      this.#count[slot] = 0;
    }
    const k = this.#used;
    if (k === POSITION_POOL) return;
    this.#used = k + 1;
    this.#pos[k] = position;
    this.#next[k] = this.#head[slot];
    this.#head[slot] = k;
    this.#count[slot]++;
  }

  /**
   * Whether rule `i` matches `t`, which must be the text of the last {@link activeRules} call:
   * a sticky test at each recorded position of the rule's leading words, or a search of the
   * whole text when the rule has none or they occur too often for that to be cheaper.
   */
  matches(i: number, t: string): boolean {
    const sticky = this.#sticky[i];
    const slots = this.#ruleSlots[i];
    if (sticky === null || slots === null || this.#used === POSITION_POOL) return this.rules[i].re.test(t);
    const gen = this.#curGen;
    let total = 0;
    for (const s of slots) if (this.#gen[s] === gen) total += this.#count[s];
    if (total === 0) return false;
    if (total > 4 && total * 64 > t.length) return this.rules[i].re.test(t);
    for (const s of slots) {
      if (this.#gen[s] !== gen) continue;
      for (let k = this.#head[s]; k >= 0; k = this.#next[k]) {
        sticky.lastIndex = this.#pos[k];
        if (sticky.test(t)) return true;
      }
    }
    return false;
  }
}

/** The prompt-injection kind. */
export const promptInjection: PolicyKindModule = {
  definition: {
    kind: "prompt-injection",
    phases: ["input"],
    schema: promptInjectionSchema,
    check(block: unknown) {
      const cfg = block as PromptInjectionConfig;
      const issues: Array<{ path: string; message: string; code?: "E006"; hint?: string }> = [];
      cfg.detection.attack_patterns.forEach((p, i) => {
        const problem = checkUserPattern(p, true);
        if (problem) {
          issues.push({
            path: `detection.attack_patterns.${i}`,
            message: problem.message,
            code: "E006",
            hint: problem.hint,
          });
        }
      });
      return issues;
    },
  },
  compile(block: unknown) {
    const cfg = promptInjectionSchema.parse(block ?? {});
    const custom: Rule[] = cfg.detection.attack_patterns.map((p) => {
      const re = compileUserPattern(p, true);
      return { family: "custom", weight: 0.9, anchors: [], re: new RegExp(re.source, "iu") };
    });
    const rules = new RuleSet([...BUILTIN_RULES, ...custom]);
    const opts = {
      unicode: cfg.encoding.normalize_unicode,
      homoglyphs: cfg.detect_homoglyphs,
      base64: cfg.encoding.decode_base64,
    };
    return {
      kind: "prompt-injection",
      phases: ["input"],
      inspectsOutput: false,
      checksToolCalls: false,
      textOnly: true,
      evaluate(input: EvalInput): PolicyDecision {
        let max = 0;
        const findings: Record<string, number> = {};
        for (const seg of input.segments) {
          if (!USER_SUPPLIED_ROLES.has(seg.role)) continue;
          const s = scoreText(seg.text, rules, opts);
          if (s.score > max) max = s.score;
          for (const [f, n] of Object.entries(s.families)) count(findings, f, n);
        }
        if (max < cfg.threshold || max === 0) return allowDecision();
        if (cfg.response.action === "log") {
          return { verdict: "allow", reasonCode: "prompt_injection", findings };
        }
        return { verdict: "block", reasonCode: "prompt_injection", findings, message: cfg.response.message };
      },
    };
  },
};
