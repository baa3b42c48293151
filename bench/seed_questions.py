"""Questions about the seed article (seeds/), by name, for the benchmarks that ask them."""

from __future__ import annotations

SEED_QUESTIONS = {
    "containers": "How many containers did the DPRK send?",
    "containers_ar": "كم حاوية ذخيرة أرسلت كوريا الشمالية إلى روسيا؟",
    "who_arrived": "Who arrived in Pyongyang?",
    "who_arrived_wednesday": "Who arrived in Pyongyang on Wednesday?",
    "who_arrived_ar": "من وصل إلى بيونغ يانغ؟",
    "monitoring": "Which countries formed an independent monitoring team?",
    "when_shoigu": "When did Shoigu arrive in Pyongyang?",
    "talks": "What will the talks focus on?",
    "off_topic": "What is the capital of France?",
}


def seed_questions(*names: str) -> list[str]:
    """These questions, in this order."""
    return [SEED_QUESTIONS[name] for name in names]
