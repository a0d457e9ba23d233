"""Menus: `choice` (options from the flow or from a source the app registers) and `confirm`.

Besides an option's number, id and label, a menu takes the plain words that mean one of its
options in the user's language (bot/engine/phrases.py, from locales/<lang>/intents.yaml):
"mau pesen dong" is the option ``order``. A state may accept intents it does not show as
options: ``input: {kind: menu, options: main_menu, also: [report]}`` (then `on: report:`).
"""

from __future__ import annotations

from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.engine.matching import Ambiguous, Matched, NoMatch, Unavailable, match_choice, normalize
from bot.messages import Incoming, Menu, Option, Reply

MAX_CHOICE_TEXT = 120  # no option is named by a longer text


class ChoiceKind(InputKind):
    name = "choice"
    hint = "engine.hint_choice"

    def check(self, spec: InputSpec) -> list[str]:
        also = spec.params.get("also", [])
        if not isinstance(also, list) or not all(isinstance(a, str) and a for a in also):
            return ["'also' must be a list of intent names (answers not shown as options)"]
        return []

    def options(self, ctx: Context, spec: InputSpec) -> list[Option]:
        if spec.source:
            return list(ctx.engine.registry.sources[spec.source].provide(ctx))
        return [Option(o.id, ctx.t(o.label)) for o in spec.options]

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        options = tuple(self.options(ctx, spec))
        return Menu(to=ctx.key, text=text, options=options, button=ctx.t("engine.button_choose"))

    def _intent(self, ctx: Context, spec: InputSpec, text: str,
                options: list[Option]) -> Result | None:
        """An option (or an ``also`` intent) the words of ``text`` mean; asked back when
        they only partly say it; None when they say none of this menu's."""
        by_intent = {o.id.partition(":")[0]: o for o in options}
        also = [str(a) for a in spec.params.get("also") or ()]
        found = ctx.engine.registry.phrasebook.match(ctx.lang, text, {*by_intent, *also})
        if not found.intents:
            return None
        if len(found.intents) > 1:
            shown = tuple(by_intent[i] for i in found.intents if i in by_intent)
            return Invalid("engine.ambiguous_choice", options=shown) if len(shown) > 1 else None
        intent = found.intents[0]
        option = by_intent.get(intent)
        if found.confident:
            return Accept(option.id if option is not None else intent)
        if option is not None:
            return Invalid("engine.did_you_mean_option", {"label": option.label},
                           options=(option, *(o for o in options if o is not option)))
        return None

    def _match(self, ctx: Context, spec: InputSpec, text: str, options: list[Option]):
        source = ctx.engine.registry.sources.get(spec.source) if spec.source else None
        if source is not None and source.matcher is not None:
            return source.matcher(ctx, text, options)
        return match_choice(text, options)

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        options = self.options(ctx, spec)
        ids = {o.id for o in options}
        if msg.choice is not None:
            if msg.choice in ids:
                return Accept(msg.choice)
            text = msg.choice  # an old button, or one from a narrowed menu: match it by id
        else:
            text = answer_text(msg)
            if len(text) > MAX_CHOICE_TEXT:
                return Invalid("engine.invalid_choice")
            shown = ctx.session.shown
            if text.isdecimal() and len(text) <= 3 and shown and 1 <= int(text) <= len(shown):
                text = shown[int(text) - 1]  # numbers refer to the menu the user last saw
                if text in ids:
                    return Accept(text)
        if not text:
            return Invalid("engine.invalid_choice")
        found = self._match(ctx, spec, text, options)
        if isinstance(found, Matched) and found.option_id in ids:
            return Accept(found.option_id)
        if isinstance(found, Ambiguous):
            return Invalid("engine.ambiguous_choice", options=found.candidates)
        if isinstance(found, Unavailable):
            return Invalid(found.message_id, dict(found.params))
        if msg.choice is not None:
            return Invalid("engine.choice_expired")
        by_intent = self._intent(ctx, spec, text, options)
        if by_intent is not None:
            return by_intent
        return Invalid("engine.invalid_choice")

    def describe(self, ctx: Context, value: Any) -> str:
        options = self.options(ctx, ctx.engine.current_spec(ctx.session))
        label = next((o.label for o in options if o.id == value), None)
        return label or ("" if value is None else str(value))


# What else means each confirm answer, among the intents of locales/<lang>/intents.yaml:
# "tidak" (no) is cancel, and "pesan" (order) at an order's summary is yes.
CONFIRM_ALSO = {"no": "cancel", "order": "yes"}
CONFIRM_LABELS = {"yes": "engine.opt_yes", "edit": "engine.opt_edit", "cancel": "engine.opt_cancel"}


class ConfirmKind(InputKind):
    """Yes / change / cancel. A state may narrow the answers: ``answers: [yes, cancel]``."""

    name = "confirm"
    answers = ("yes", "edit", "cancel")
    hint = "engine.hint_confirm"

    def check(self, spec: InputSpec) -> list[str]:
        wanted = spec.params.get("answers", list(self.answers))
        if not isinstance(wanted, list) or not set(wanted) <= set(self.answers):
            return [f"'answers' must be a list drawn from {', '.join(self.answers)}"]
        return []

    def allowed(self, spec: InputSpec) -> list[str]:
        return list(spec.params.get("answers", self.answers))

    def options(self, ctx: Context, spec: InputSpec) -> list[Option]:
        return [Option(a, ctx.t(CONFIRM_LABELS[a])) for a in self.allowed(spec)]

    def prompt(self, ctx: Context, spec: InputSpec, text: str, value: Any = None) -> Reply:
        return Menu(to=ctx.key, text=text, options=tuple(self.options(ctx, spec)))

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        allowed = self.allowed(spec)
        if msg.choice is not None:
            if msg.choice in allowed:
                return Accept(msg.choice)
            return Invalid("engine.choice_expired")
        text = normalize(answer_text(msg)[:MAX_CHOICE_TEXT])
        options = self.options(ctx, spec)
        answer = self._said(ctx, text, allowed)
        words = text.split()
        if answer is None and 1 < len(words) <= 3:  # "ya betul", "ganti alamatnya"
            answer = self._said(ctx, words[0], allowed)
        if answer is not None:
            return Accept(answer)
        found = match_choice(text, options)
        if isinstance(found, Matched):
            return Accept(found.option_id)
        if isinstance(found, NoMatch | Ambiguous | Unavailable):
            return Invalid("engine.invalid_confirm")
        return Invalid("engine.invalid_confirm")  # pragma: no cover

    def _said(self, ctx: Context, text: str, allowed: list[str]) -> str | None:
        """The answer ``text`` plainly says in the user's language, if one."""
        offered = {*allowed, *(k for k, v in CONFIRM_ALSO.items() if v in allowed)}
        said = ctx.engine.registry.phrasebook.match(ctx.lang, text, offered)
        if not said.confident or len(said.intents) != 1:
            return None
        return CONFIRM_ALSO.get(said.intents[0], said.intents[0])

    def describe(self, ctx: Context, value: Any) -> str:
        return ctx.t(CONFIRM_LABELS[value]) if value in CONFIRM_LABELS else ""
