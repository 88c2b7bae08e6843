"""``reply: {judge: …}``: a model grades the reply against the author's intent.

Any OpenAI-compatible chat endpoint (``--judge-url``: OpenAI, a gateway, a local server; its
key from ``VOICECHAT_JUDGE_API_KEY``, else ``OPENAI_API_KEY``), temperature 0, asked for a JSON
verdict ``{"pass": true|false, "reason": "…"}``. The reason is shown with the verdict. An
endpoint that fails or answers in another shape fails the expectation with what it said: a
judge that did not judge is never a pass (and never a crash).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import aiohttp

from voicechat.scenario.checks import Judgement

TIMEOUT_S = 60.0
PROMPT = (
    "You grade one answer of a voice assistant in an automated test. The test's author says "
    "what a good answer does. Reply with a JSON object only: "
    '{"pass": true or false, "reason": "one short sentence"}.'
)


@dataclass
class ChatJudge:
    url: str  # the endpoint's base URL (``…/v1``); ``/chat/completions`` is added
    model: str
    api_key: str | None = field(default=None, repr=False)

    async def judge(self, intent: str, reply: str, heard: str) -> Judgement:
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": PROMPT},
                {"role": "user", "content": f"What a good answer does: {intent}\n"
                                            f"What the user said: {heard or '(not known)'}\n"
                                            f"The assistant's answer: {reply or '(nothing)'}"},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = self.url.rstrip("/") + "/chat/completions"
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as http, \
                    http.post(url, json=body, headers=headers) as answer:
                text = await answer.text()
                if answer.status != 200:
                    return Judgement(False, f"the judge at {url} answered HTTP "
                                            f"{answer.status}: {text[:200]}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Judgement(False, f"the judge at {url} could not be reached: "
                                    f"{exc or type(exc).__name__}")
        return verdict_from(text)


def verdict_from(text: str) -> Judgement:
    """The judge's verdict from a chat completion's body (the content may wrap the JSON in a
    code fence or words around it)."""
    try:
        content = json.loads(text)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return Judgement(False, f"the judge's answer is not a chat completion: {text[:200]}")
    if not isinstance(content, str):
        return Judgement(False, "the judge's answer has no text")
    start, end = content.find("{"), content.rfind("}")
    try:
        verdict = json.loads(content[start : end + 1]) if start >= 0 < end else None
    except ValueError:
        verdict = None
    if not isinstance(verdict, dict) or not isinstance(verdict.get("pass"), bool):
        return Judgement(False, f"the judge did not give a verdict: {content[:200]!r}")
    return Judgement(verdict["pass"], str(verdict.get("reason", "")) or "(no reason given)")
