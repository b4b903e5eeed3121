"""Reading a request, in English or Chinese, into a plan of tool calls: the offline planner's understanding.

``read_request(text)`` returns a ``Plan`` (steps in the order the request gives them), or a ``Reply`` when
nothing should be called: a clarifying question (something required is missing), a refusal (prompt
injection, someone else's works, out of scope) or help. It is plain rules over the text, so the same request
always gives the same plan, with no model to download.

A step's argument can be a ``Ref`` to an earlier step's result, which is how one step feeds the next: the
text just generated is what gets registered, the work just registered is the one whose terms are set, and
"my latest work" is looked up first (``my_works``) and then used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.tools import FORMS_ZH
from ledger.inputs import ADDRESS_REGEX
from models.planner.replies import HELP, QUESTIONS, REFUSALS  # one home: the planner model answers with them too

Language = Literal["en", "zh"]


@dataclass(frozen=True)
class Ref:
    """The value at ``path`` (keys and list indexes, dot-separated) in the result of step ``step``."""

    step: int
    path: str

    def __str__(self) -> str:
        return f"<{self.path} from step {self.step + 1}>"


@dataclass(frozen=True)
class Step:
    tool: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    language: Language = "en"


@dataclass(frozen=True)
class Reply:
    """No tool call: say ``text``. ``kind`` says why; a ``clarify`` reply's answer is read with the request."""

    text: str
    kind: Literal["clarify", "refuse", "help"]
    language: Language = "en"


# Words and patterns

ADDRESS = ADDRESS_REGEX
NUMBER = r"\d+(?:\.\d+)?"
QUOTES = [('"', '"'), ("“", "”"), ("「", "」"), ("『", "』"), ("'", "'"), ("‘", "’")]
FORMS = {
    "haiku": "haiku",
    "sonnet": "sonnet",
    "limerick": "limerick",
    "lyrics": "song",
    "song": "song",
    "story": "story",
    "stories": "story",
    "tale": "story",
    "verse": "poem",
    "poetry": "poem",
    "poem": "poem",
    "俳句": "haiku",
    "十四行诗": "sonnet",
    "打油诗": "limerick",
    "歌词": "song",
    "歌": "song",
    "故事": "story",
    "小说": "story",
    "诗": "poem",
}
FORM_WORDS = "|".join(sorted(FORMS, key=len, reverse=True))

# A request that tries to change the assistant's rules: to ignore or replace them, to claim a role, or to skip
# the approval of ledger changes (which only the person approving can give).
INJECTION = re.compile(
    "|".join(
        [
            r"\b(?:ignore|forget|disregard|override|bypass|drop)\b.{0,30}\b(?:instructions|rules|prompts?|told|settings"
            r"|restrictions|safety|guidelines|approvals?|confirmations?)\b",
            r"\bskip\b.{0,12}\b(?:approvals?|confirmations?|asking)\b|\bwithout (?:asking|approval|confirm)",
            r"\bapprove (?:every|all|everything|automatically)\b|\bauto-?approve",
            r"\bsystem prompt|\bsystem message|^\s*system\s*:|\bnew instructions\b|\bdeveloper mode|\bjailbreak",
            r"\bpretend (?:you are|to be)|\byou are now\b|\bfrom now on,? you\b|\byou (?:have|has) no (?:rules|restrictions|limits)",
            r"\bno (?:rules|restrictions|limits) (?:any ?more|now)\b",
            r"\b(?:act|acting) as (?:an? |the )?(?:admin|administrator|root|owner|system)\b|\badmin(?:istrator)? (?:mode|rights"
            r"|privileges|access)",
            r"(?:忽略|忘掉|忘记|无视|不理|绕过|跳过|覆盖).{0,12}(?:指令|规则|设定|设置|限制|提示|确认|审批|批准)",
            r"不要?再?(?:请求|要求|征求)?(?:确认|审批|批准)|不用(?:确认|审批|批准)|直接批准|自动批准|全部批准|所有交易",
            r"系统(?:提示|消息|指令)|越狱|从现在(?:开始|起).{0,4}你|你现在是|管理员(?:身份|权限|模式)|以管理员",
        ]
    ),
    re.I | re.M,
)
_NOT_OTHERS = r"my|mine|our|your|let|it|that|what|there|here|today|he|she|who|one|world|year|day|night|life"
# Acts on what belongs to someone else: their works, royalties or account, named by a possessive, by "not mine",
# by an address whose royalties are claimed, or done "for" someone (替/代).
OTHERS_WORKS = re.compile(
    "|".join(
        [
            rf"\b(?!(?:{_NOT_OTHERS})\b)[a-z]+'s (?:work|poem|song|story|text|licen[cs]e|royalt|account|earning|balance"
            r"|ether|money|funds|wallet)",
            r"\b(?:someone|somebody|another user|other users?|other people|everyone)(?: else)?'?s?\b.{0,12}\b(?:work|royalt"
            r"|earning|account)",
            r"\b(?:isn't|is not|not) (?:mine|my own)\b|\bbelongs? to (?!me\b)|\bdoesn't belong to me\b",
            rf"\b(?:royalt\w*|earnings?|balance|funds|works?) (?:of|from|owed to|belonging to) {ADDRESS}",
            rf"{ADDRESS}'s\b|\bon behalf of (?!me\b)",
            r"别人|他人|其他(?:用户|人)|其它用户|任何人的",
            r"(?<!关于)(?<!关于我)(?:朋友|邻居|同事|家人|父母|老板|他们|他|她)(?:的|账户里的|账号里的|账户|账号)"
            r"(?:作品|诗|歌|故事|账户|账号|版税|收益|余额|钱)",
            r"(?:替|代替|代表)(?!我)[\u4e00-\u9fff]{1,4}?(?:给|把|设置|提取|登记|购买|授权)",
            r"[\u4e00-\u9fff]{2,3}(?:那首|那篇|那件)|把(?!我)(?!这)[\u4e00-\u9fff]{1,4}的(?:作品|诗|歌|故事)(?:登记|注册)(?:成|为)我",
            rf"{ADDRESS}(?:的|账户里?的)(?:版税|收益|余额|作品)",
        ]
    ),
    re.I,
)
# Buying a license to, verifying or reading about someone else's work is what licensing is for: the "others"
# refusal is for acts only an owner may do.
ON_OTHERS_ALLOWED = re.compile(
    r"\b(?:buy|purchase|verify|check|who owns|tell me about|recommend|like)\b"
    r"|购买|买|验证|核实|是谁的|推荐",
    re.I,
)
OWNER_ACTS = re.compile(
    r"\b(?:register|set|change|price|terms|grant|give|withdraw|claim|cash|sell|offer|transfer)\b"
    r"|登记|注册|设置|修改|价格|条款|授予|提取|提现|出售|卖|转",
    re.I,
)
ACCOUNT_WORDS = re.compile(
    r"\b(?:royalt|earning|balance|account|wallet|funds|money|ether)|版税|收益|余额|账户|账号|钱", re.I
)
NAMED_WORK = re.compile(
    r"\bwork\s*(?:#|no\.?|number)?\s*(\d+)\b|#(\d+)|作品\s*#?\s*(\d+)|(\d+)\s*号作品|第\s*(\d+)\s*号", re.I
)
LATEST_WORK = re.compile(
    r"\bmy (?:latest|last|newest|most recent) (?:work|poem|song|story|text)|我最新的|我最近的|我上一", re.I
)
WORK_NOUNS = rf"works|pieces|texts|writing|{FORM_WORDS}|作品"
NOT_MINE = "".join(f"(?<!my {word})" for word in ("", "own ", "latest ", "last ", "newest ", "new "))  # selling mine
LIKE_MINE = re.compile(
    r"\b(?:like|similar to|resembling|close to|related to)\s+(?:mine|my (?:own )?(?:works?|poems?|stor(?:y|ies)|texts?"
    r"|songs?|writing))\b|(?:和|与|跟|同|像|类似于?|相似于)我的(?:作品|诗|故事|歌|文字)",
    re.I,
)
LICENSABLE = re.compile(
    rf"\blicen[cs]able\b|\bwhat (?:can|could) i licen[cs]e\b|\b{NOT_MINE}(?:{WORK_NOUNS})s?\b.{{0,40}}?"
    r"(?:\b(?:(?:can|could|may|might) i|i (?:can|could|may|might))\s+(?:licen[cs]e|buy|get a licen[cs]e)"
    r"|\b(?:available|open|offered) (?:to|for) licen[cs]|\bon offer\b|\bfor sale\b|\bup for licen[cs])"
    r"|(?:可以|能|可)(?:授权|购买授权|买授权|获得授权|获取授权)|开放授权的|在售|出售中",
    re.I,
)
RECOMMEND_WORKS = re.compile(
    rf"\b(?:recommend|suggest)\b(?:\s+(?!like\b|similar\b|such\b)[\w-]+){{0,3}}?\s+(?:{WORK_NOUNS})s?\b"
    r"|推荐.{0,8}(?:作品|诗|故事|歌|俳句)",
    re.I,
)
DERIVATIVE = re.compile(
    r"\bderivative\b|\bremix of\b|\badaptation of\b|\bderived from\b|\bbased on\b"
    r"|衍生|改编自|基于",
    re.I,
)
PARENT_IDS = re.compile(
    r"(?:\bworks?\s*(?:#|no\.?|number)?\s*|#|作品\s*#?\s*)(\d+(?:\s*(?:,|and|和|与|、|，)\s*#?\d+)*)", re.I
)
TRANSFER = re.compile(r"\btransfer\b|\bsteal\b|转给|转让|过户|偷", re.I)

CLAUSE_SPLIT = re.compile(
    r"\s*(?:[,;!?]|\.(?:\s|$)|[，；。！？、]|\band then\b|\bthen\b|\band also\b"
    r"|\band\b(?=\s+(?:then\s+)?(?:register|offer|sell|set|license|licence|list|buy|purchase|grant|give|verify"
    r"|check|withdraw|cash|recommend|suggest|search|find|show|tell))"
    r"|并且|并|然后|再|接着|同时)\s*",
    re.I,
)

INTENTS: list[tuple[str, re.Pattern[str]]] = [
    # The order breaks ties inside one clause: the first that matches is the clause's intent.
    # Works on offer or like the caller's: a question about a catalogue of works, never about one named work.
    (
        "works",
        re.compile(
            rf"\A(?!.*(?:{NAMED_WORK.pattern}))(?s:.*?)(?:{LIKE_MINE.pattern}|{LICENSABLE.pattern}"
            rf"|{RECOMMEND_WORKS.pattern})",
            re.I,
        ),
    ),
    ("withdraw", re.compile(r"\bwithdraw|\bcash (?:out|in)\b|\bpay (?:me|out)\b|提取|提现|取出|领取", re.I)),
    (
        "rights",
        re.compile(
            r"\bwhat (?:does|do|would)\b.{0,50}\b(?:allow|permit|mean|let|cover)"
            r"|\bwhat (?:is|are|'s)\b.{0,12}\b(?:non-?commercial remix|commercial remix|commercial use|cc[- ]?by)\b"
            r"|(?:非商业改编|商业改编|商业使用|cc ?by).{0,12}(?:允许|是什么|什么意思|包括|能做什么|可以做什么)",
            re.I,
        ),
    ),
    (
        "details",
        re.compile(
            r"\bwho owns\b|\bowner of\b|\bwhat does\b.{0,40}\bcost\b|\bhow much (?:is|does|would)\b"
            r"|\bcan (?:it|work \d+|that work) be used commercially\b"
            r"|谁的|归谁|谁拥有|所有者是|可以商用吗|能商用吗|可以改编吗|能改编吗|多少钱|价格是多少|授权费",
            re.I,
        ),
    ),
    (
        "earnings",
        re.compile(
            r"\bearn(?:ed|ings|s)?\b|\bwho (?:has )?(?:bought|purchased|licensed)\b"
            r"|谁买|谁购买|收入|赚了多少|挣了多少",
            re.I,
        ),
    ),
    ("grant", re.compile(r"\bgrant\b|\bgive\b.{0,80}\blicen[cs]e|授予|赠送.{0,6}许可|免费授权给", re.I)),
    ("buy", re.compile(r"\b(?:buy|purchase|acquire)\b|购买|买", re.I)),
    (
        "verify",
        re.compile(
            r"\bverify|\bvalid\b|\bis\b.{0,60}\blicen[cs]ed\b|\b(?:check|see) (?:whether|if)\b"
            r"|\bdoes\b.{0,60}\bhave (?:a )?licen[cs]e|\bmay\b.{0,50}\buse\b|验证|核实|查验|是否.{0,12}(?:许可|授权)",
            re.I,
        ),
    ),
    (
        "generate",
        re.compile(
            rf"\b(?:write|compose|generate|create|make|draft|pen)\b.{{0,40}}\b(?:{FORM_WORDS})"
            rf"|(?:写|创作|生成|作(?!品)|编)(?:一|几)?(?:首|篇|个|段|则)?.{{0,20}}(?:{FORM_WORDS})",
            re.I,
        ),
    ),
    ("register", re.compile(r"\bregister|\brecord\b.{0,30}\b(?:ledger|chain)|登记|注册|上链|确权|存证", re.I)),
    (
        "terms",
        re.compile(
            r"\boffer\b|\bsell\b|\blist\b.{0,30}\bfor\b|\b(?:set|change|update)\b.{0,20}\b(?:terms|price)"
            r"|\blicen[cs]e (?:it|this|them)\b|\bfor (?:non-?)?commercial\b|\bcc[- ]?by\b"
            r"|授权|商用|商业使用|定价|售价|条款|出售|开放",
            re.I,
        ),
    ),
    (
        "account",
        re.compile(
            r"\broyalt|\bbalance\b|\bmy account\b|\bhow much\b.{0,30}\b(?:earn|owed|made|have)"
            r"|版税|收益|余额|账户|赚了",
            re.I,
        ),
    ),
    (
        "my_works",
        re.compile(
            r"\b(?:show|list|see|what are|which are)\b.{0,20}\bmy (?:works|poems|texts|registrations)"
            r"|\bwhat (?:have|did) i register|我的作品|我登记的|我注册的",
            re.I,
        ),
    ),
    ("recommend", re.compile(r"\brecommend|\bsuggest|\bwhat (?:should|could|can) i (?:watch|see)\b|推荐", re.I)),
    ("search", re.compile(r"\b(?:search|find|look up|look for)\b|搜索|查找|找", re.I)),
]


class _Missing(Exception):
    """A required parameter is absent: ask ``question``."""

    def __init__(self, question: str, **values: str):
        self.question, self.values = question, values


def language_of(text: str) -> Language:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def read_request(text: str) -> Plan | Reply:
    """The plan for one request (see the module's docstring)."""
    refusal = guard(text)
    if refusal is not None:
        return refusal
    language = language_of(text)
    quotes, masked = _mask_quotes(text)
    clauses = [
        (intent, clause) for clause in CLAUSE_SPLIT.split(masked) if clause for intent in [_intent_of(clause)] if intent
    ]
    if not clauses:
        return Reply(HELP[language], "help", language)
    try:
        steps = _Planner(masked, quotes, language).plan(clauses)
    except _Missing as missing:
        template = QUESTIONS[missing.question][language]
        return Reply(template.format(**missing.values), "clarify", language)
    return Plan(tuple(steps), language)


def guard(text: str) -> Reply | None:
    """The refusal a request gets whoever plans it: prompt injection, acts on others' works, transfers.
    Quoted passages (a text to register) are not read as instructions."""
    language = language_of(text)
    _, masked = _mask_quotes(text)
    for reason, pattern in (("injection", INJECTION), ("others", OTHERS_WORKS), ("transfer", TRANSFER)):
        if pattern.search(masked) and not (reason == "others" and _only_uses_others_work(masked)):
            return Reply(REFUSALS[reason][language], "refuse", language)
    return None


def _only_uses_others_work(text: str) -> bool:
    """A request that buys, verifies or asks about someone else's work (public), does nothing only an owner may
    do, and does not touch their account (royalties, earnings and balances are the owner's alone to see)."""
    return (
        bool(ON_OTHERS_ALLOWED.search(text))
        and not OWNER_ACTS.search(ON_OTHERS_ALLOWED.sub(" ", text))
        and not ACCOUNT_WORDS.search(text)
    )


def declares_parents(text: str) -> bool:
    """Whether ``text`` names works it derives from ("register it as a derivative of work 3")."""
    return bool(_parents(text))


def _intent_of(clause: str) -> str | None:
    return next((name for name, pattern in INTENTS if pattern.search(clause)), None)


def _mask_quotes(text: str) -> tuple[list[str], str]:
    """Quoted passages out of the way of the rules (a poem may say "and register"): each becomes ``QUOTEn``."""
    quotes: list[str] = []

    def keep(match: re.Match[str]) -> str:
        quotes.append(match.group(1).strip())
        return f" QUOTE{len(quotes) - 1} "

    for opening, closing in QUOTES:
        if opening == "'":  # apostrophes ("Bob's", "don't") are not quotes: only a quote after a space or start
            pattern = r"(?:(?<=\s)|^)'([^']{2,}?)'(?=[\s,.;:!?]|$)"
        else:
            pattern = rf"{re.escape(opening)}([^{re.escape(closing)}]+?){re.escape(closing)}"
        text = re.sub(pattern, keep, text, flags=re.S)
    return quotes, text


class _Planner:
    """Turns the request's clauses into steps, carrying what earlier steps make (a text, a work) forward."""

    def __init__(self, text: str, quotes: list[str], language: Language):
        self.text, self.quotes, self.language = text, quotes, language
        self.steps: list[Step] = []
        self.generated: int | None = None  # the step that wrote a text
        self.work: Any = None  # the work the request is about: an id, or a Ref to a step's result

    def plan(self, clauses: list[tuple[str, str]]) -> list[Step]:
        for intent, clause in clauses:
            getattr(self, f"_{intent}")(clause)
        return self.steps

    def _add(self, tool: str, **args: Any) -> int:
        self.steps.append(Step(tool, args))
        return len(self.steps) - 1

    def _quote_in(self, clause: str, but: str | None = None) -> str | None:
        """The first quoted passage in the clause (else in the request) that is not ``but``."""
        for where in (clause, self.text):
            for index in re.findall(r"QUOTE(\d+)", where):
                if self.quotes[int(index)] != but:
                    return self.quotes[int(index)]
        return None

    def _work_in(self, clause: str) -> Any:
        """The work a clause names ("work 12", "my latest work"), else the one the request is already about."""
        named = NAMED_WORK.search(clause)
        if named:
            self.work = int(next(g for g in named.groups() if g))
        elif LATEST_WORK.search(clause):
            self.work = Ref(self._add("my_works", limit=1), "items.0.id")
        if self.work is None:
            raise _Missing("work")
        return self.work

    # One method per intent, named after it.

    def _generate(self, clause: str) -> None:
        form = next((FORMS[w] for w in sorted(FORMS, key=len, reverse=True) if w in clause.lower()), "poem")
        topic = _topic(clause)
        if not topic:
            raise _Missing("topic", form=FORMS_ZH[form] if self.language == "zh" else form)
        length = (
            "long"
            if re.search(r"\blong\b|长(?=诗|篇|故事|歌)|较长", clause, re.I)
            else "medium"
            if re.search(r"\bmedium\b|中等|中篇", clause, re.I)
            else "short"
        )
        self.generated = self._add("generate_text", topic=topic, form=form, length=length, language=self.language)

    def _register(self, clause: str) -> None:
        parents = _parents(clause)
        planned = max((i for i, step in enumerate(self.steps) if step.tool == "register_work"), default=None)
        if (
            planned is not None
            and not re.search(r"QUOTE\d", clause)
            and (self.generated is None or self.generated < planned)
        ):  # "...: register it as a derivative of work 3"
            if parents:
                self.steps[planned] = Step("register_work", {**self.steps[planned].args, "parents": parents})
            return
        title = _titled(self.text, self.quotes)
        quoted = self._quote_in(clause, but=title)
        if quoted is not None:
            title = title or _title_from(quoted)
            args: dict[str, Any] = {
                "title": title,
                "content": quoted,
                "origin": "ai_assisted" if re.search(r"\bai[- ]assisted|ai 辅助|AI辅助", self.text, re.I) else "human",
            }
        elif self.generated is not None:
            step = self.generated
            args = {
                "title": Ref(step, "title"),
                "content": Ref(step, "text"),
                "origin": "ai_generated",
                "model_id": Ref(step, "model_id"),
                "prompt": Ref(step, "prompt"),
            }
        else:
            raise _Missing("content")
        co_authors = _co_authors(self.text)
        if co_authors:
            args["co_authors"] = co_authors
        if parents:
            args["parents"] = parents
        self.work = Ref(self._add("register_work", **args), "id")

    def _terms(self, clause: str) -> None:
        template = _template(clause) or _template(self.text)
        if template is None:
            raise _Missing("template")
        price = _price(clause) if _price(clause) is not None else _price(self.text)
        if price is None:
            if template in ("commercial_use", "commercial_remix"):
                raise _Missing("price")
            price = 0.0
        args: dict[str, Any] = {"work_id": self._work_in(clause), "template": template, "price_eth": price}
        share = re.search(
            rf"({NUMBER})\s*%\s*(?:of (?:the )?)?(?:revenue|rev(?:enue)?[- ]share|royalt)"
            rf"|(?:revenue|rev[- ]share|royalty) (?:of )?({NUMBER})\s*%|分成\s*({NUMBER})\s*%|({NUMBER})\s*%\s*的?分成",
            self.text,
            re.I,
        )
        if share:
            args["rev_share_percent"] = float(next(g for g in share.groups() if g))
        duration = re.search(r"\bfor (\d+) (day|week|month|year)s?\b|(\d+)\s*(天|周|个月|年)", self.text, re.I)
        if duration:
            count, unit = (duration.group(1), duration.group(2)) if duration.group(1) else duration.group(3, 4)
            days = {"day": 1, "天": 1, "week": 7, "周": 7, "month": 30, "个月": 30, "year": 365, "年": 365}
            args["duration_days"] = int(count) * days[unit.lower()]
        self._add("set_license_terms", **args)

    def _buy(self, clause: str) -> None:
        """Read the offer first: the fee it shows is the most the purchase may cost, as the user approves it."""
        work = self._work_in(clause)
        offer = self._add("work_details", work_id=work)
        self._add("buy_license", work_id=work, max_fee_wei=Ref(offer, "terms.fee_wei"))

    def _grant(self, clause: str) -> None:
        address = re.search(ADDRESS, clause) or re.search(ADDRESS, self.text)
        if not address:
            raise _Missing("grantee")
        self._add("grant_license", work_id=self._work_in(clause), address=address.group(0))

    def _verify(self, clause: str) -> None:
        address = re.search(ADDRESS, clause) or re.search(ADDRESS, self.text)
        if address:
            holder = address.group(0)
        elif re.search(r"\b(?:i|me|my|mine)\b|我", clause, re.I):
            holder = "me"
        else:
            raise _Missing("holder")
        use = (
            "derivative"
            if re.search(r"remix|derivative|adapt|改编|衍生|二创", clause, re.I)
            else "commercial"
            if re.search(r"commercial|商用|商业", clause, re.I)
            else "personal"
        )
        self._add("verify_license", work_id=self._work_in(clause), holder=holder, use=use)

    def _rights(self, clause: str) -> None:
        template = _template(clause) or _template(self.text)
        if template is None:
            raise _Missing("template")
        self._add("license_template", template=template)

    def _details(self, clause: str) -> None:
        """Who owns a work, what a license costs, what it allows: one look at the work answers them all."""
        work = self._work_in(clause)
        if not any(step.tool == "work_details" and step.args["work_id"] == work for step in self.steps):
            self._add("work_details", work_id=work)

    def _account(self, clause: str) -> None:
        self._add("my_account")

    def _earnings(self, clause: str) -> None:
        """All the caller's works, or the one the clause names."""
        if NAMED_WORK.search(clause) or LATEST_WORK.search(clause):
            self._add("my_earnings", work_id=self._work_in(clause))
        else:
            self._add("my_earnings")

    def _withdraw(self, clause: str) -> None:
        self._add("withdraw_royalties")

    def _my_works(self, clause: str) -> None:
        count = re.search(r"\b(?:last|latest|top|first) (\d+)\b|最近\s*(\d+)", clause, re.I)
        self._add("my_works", limit=int(next(g for g in count.groups() if g)) if count else 5)

    def _recommend(self, clause: str) -> None:
        count = re.search(
            r"\b(\d+)\s+(?:\w+\s+)?(?:movies|films|items|titles|things|picks|recommendations)\b"
            r"|(\d+)\s*(?:部|个|本)",
            clause,
            re.I,
        )
        args: dict[str, Any] = {"k": min(int(next(g for g in count.groups() if g)), 20)} if count else {}
        taste = re.search(r"\bi (?:like|love|enjoy|am into)\s+(.+)$", clause, re.I)
        like = (
            None
            if taste
            else re.search(
                r"\b(?:like|similar to|such as)\s+(.+)$|类似(?:于)?(.+?)的|像(.+?)(?:一样|那样)?的", clause, re.I
            )
        )
        about = re.search(r"\b(?:about|with|featuring|on)\s+(.+)$|关于(.+?)的", clause, re.I)
        if taste:
            args["query"] = _clean(taste.group(1), self.quotes)
        elif like:
            args["like_item"] = _clean(next(g for g in like.groups() if g), self.quotes)
        elif about:
            args["query"] = _clean(next(g for g in about.groups() if g), self.quotes)
        self._add("recommend", **args)

    def _works(self, clause: str) -> None:
        """Works by other creators: like the caller's own, or for the caller (about a topic), of a form, on offer."""
        lowered = clause.lower()
        args: dict[str, Any] = {}
        form = next((FORMS[w] for w in sorted(FORMS, key=len, reverse=True) if w in lowered), None)
        if form is not None:
            args["form"] = form
        if LICENSABLE.search(clause):
            args["licensable"] = True
        count = re.search(rf"\b(\d+)\s+(?:\w+\s+)?(?:{WORK_NOUNS})|(\d+)\s*(?:首|篇|个|件|部)", clause, re.I)
        if count:
            args["k"] = min(int(next(g for g in count.groups() if g)), 20)
        if LIKE_MINE.search(clause):
            args["like_mine"] = True
        elif about := re.search(
            r"\b(?:about|on the theme of)\s+(.+?)(?:\s+(?:that|which|i can|i could|i may)\b.*)?$"
            r"|关于(.+?)的",
            clause,
            re.I,
        ):
            args["query"] = _clean(next(g for g in about.groups() if g), self.quotes)
        self._add("recommend_works", **args)

    def _search(self, clause: str) -> None:
        if re.search(r"\b(?:like|similar to)\s+\S|类似", clause, re.I):  # "find movies like X" asks for neighbours
            return self._recommend(clause)
        found = re.search(
            r"\b(?:for|called|named|titled)\s+(.+)$|(?:搜索|查找|找)(?:一下)?(.+?)(?:的电影|电影)?$", clause, re.I
        )
        query = _clean(found.group(1) or found.group(2), self.quotes) if found else None
        if not query:
            query = _clean(
                re.sub(r"\b(?:search|find|look up|look for|movies?|films?|the catalogue)\b", "", clause, flags=re.I),
                self.quotes,
            )
        if not query:
            raise _Missing("content")
        self._add("search_catalogue", query=query)


def _topic(clause: str) -> str | None:
    """What to write about: after "about" if the clause says it, else after "on", "of" or "for"."""
    for pattern in (
        r"\babout\s+(.+?)\s*$",
        r"\bon\s+(.+?)\s*$",
        r"\bof\s+(.+?)\s*$",
        r"\bfor\s+(.+?)\s*$",
        r"关于(.+?)的",
        r"以(.+?)为主?题",
    ):
        found = re.search(pattern, clause, re.I)
        if found:
            break
    else:
        return None
    topic = found.group(1)
    topic = re.sub(r"^(?:the|a|an)\s+", "", topic.strip(), flags=re.I)
    return topic[:40] or None


def _parents(clause: str) -> list[int]:
    """The works a clause declares the text derived from: "as a derivative of work 3", "作品3和5的衍生作品"."""
    if not DERIVATIVE.search(clause):
        return []
    return [int(n) for found in PARENT_IDS.findall(clause) for n in re.findall(r"\d+", found)]


def _titled(text: str, quotes: list[str]) -> str | None:
    found = re.search(r"\b(?:titled|called|named|title)\s+QUOTE(\d+)|(?:题为|标题为?|名为)\s*QUOTE(\d+)", text, re.I)
    return quotes[int(next(g for g in found.groups() if g))] if found else None


def _title_from(content: str) -> str:
    """A title for untitled text: its first line, at most six words (or 20 characters of Chinese)."""
    first = content.strip().splitlines()[0] if content.strip() else "Untitled"
    if language_of(first) == "zh":
        return first[:20]
    words = first.split()
    return " ".join(words[:6]) + ("…" if len(words) > 6 else "")


def _template(text: str) -> str | None:
    lowered = text.lower()
    if re.search(r"cc[- ]?by|attribution|署名", lowered):
        return "cc_by"
    if re.search(r"non-?commercial|非商业|非商用", lowered):
        return "non_commercial_remix"
    if re.search(r"commercial|商用|商业", lowered):
        return "commercial_remix" if re.search(r"remix|derivative|adapt|改编|衍生|二创", lowered) else "commercial_use"
    if re.search(r"\bremix|改编|二创", lowered):
        return "non_commercial_remix"
    return None


def _price(text: str) -> float | None:
    found = re.search(rf"({NUMBER})\s*(?:eth|ether)(?![a-z])|({NUMBER})\s*以太", text, re.I)
    if found:
        return float(found.group(1) or found.group(2))
    if re.search(r"\bfor free\b|\bfree of charge\b|\bfree\b|免费", text, re.I):
        return 0.0
    return None


def _co_authors(text: str) -> list[dict[str, Any]]:
    """Co-authors with their share: "10% to my co-author 0x...", "co-author 0x... gets 10%", "合著者 0x... 分 10%"."""
    mentioned = re.search(r"co-?author|collaborator|partner|合著者|共同作者|合作者", text, re.I)
    if not mentioned:
        return []
    share = re.search(rf"({NUMBER})\s*%", text[max(0, mentioned.start() - 40) : mentioned.end() + 60])
    addresses = re.findall(ADDRESS, text)
    if not addresses:
        raise _Missing("co_author")
    percent = float(share.group(1)) if share else 50.0
    return [{"address": address, "share_percent": percent} for address in addresses[:7]]


def _clean(value: str, quotes: list[str]) -> str:
    value = re.sub(r"QUOTE(\d+)", lambda m: quotes[int(m.group(1))], value)
    return re.sub(r"^(?:the|a|an|some|me)\s+|\s*(?:please|for me)$|[\s\"'“”]+$", "", value.strip(), flags=re.I).strip()
