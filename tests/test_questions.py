"""The questions the classifier asks when a story does not settle its type (data/questions.yaml), as the command
line, the API and the wizard ask them."""

from __future__ import annotations

import itertools

import pytest

from weiquan.domain.classify import classify
from weiquan.domain.questions import next_step, parse_answers, tree
from weiquan.domain.taxonomy import OTHER, TYPE_IDS

VAGUE = "买了东西有问题，怎么办"


def _paths() -> dict[str, list[dict[str, str]]]:
    """Every answer path from the start, by the type it settles."""
    t = tree()
    found: dict[str, list[dict[str, str]]] = {}

    def walk(qid: str, answers: dict[str, str]) -> None:
        for a in t.questions[qid].answers:
            now = {**answers, qid: a.id}
            if a.type:
                found.setdefault(a.type, []).append(now)
            else:
                assert a.next is not None
                walk(a.next, now)

    walk(t.start, {})
    return found


def test_every_type_and_other_is_reachable_within_three_answers() -> None:
    paths = _paths()
    assert set(paths) == {*TYPE_IDS, OTHER}
    for typ, ways in paths.items():
        assert min(len(w) for w in ways) <= 3, typ


@pytest.mark.parametrize("typ", [*TYPE_IDS, OTHER])
def test_answers_settle_the_type_whatever_the_story_says(typ: str) -> None:
    answers = min(_paths()[typ], key=len)
    c = classify(VAGUE, answers=answers)
    assert c.type == typ
    assert c.confident is True
    assert c.questions == []


def test_a_vague_story_gets_a_short_yes_no_question_not_a_guess() -> None:
    c = classify(VAGUE)
    assert c.confident is False
    (q,) = c.questions
    assert set(q) == {"id", "text", "answers"}
    assert q["text"].endswith("？")
    assert 2 <= len(q["answers"]) <= 3
    assert all(set(a) == {"id", "text"} for a in q["answers"])


def test_answers_change_the_type_and_lead_to_the_next_question() -> None:
    story = VAGUE
    first = classify(story)
    assert not first.confident
    asked = [first.questions[0]["id"]]
    got_shrink = classify(story, answers={"received": "yes", "works": "yes", "less": "yes"})
    got_code = classify(story, answers={"received": "yes", "works": "no"})
    assert (got_shrink.type, got_code.type) == ("service_shrink", "invalid_code")
    halfway = classify(story, answers={"received": "no"})
    assert not halfway.confident
    assert halfway.questions[0]["id"] not in asked
    assert halfway.questions[0]["id"] == "reachable"


@pytest.mark.parametrize(
    ("story", "typ"),
    [
        ("网站打不开了，客服把我拉黑，卷款跑路", "fraud_runaway"),
        ("付款三天了卡密还没发货", "delayed_delivery"),
        ("我的手机号被泄露了，买完点卡天天接到骚扰电话", "data_leak"),
    ],
)
def test_a_clear_story_needs_no_question(story: str, typ: str) -> None:
    c = classify(story)
    assert (c.type, c.confident, c.questions) == (typ, True, [])


def test_the_story_answers_what_it_already_says() -> None:
    # the story says nothing arrived, so "did it arrive?" is not asked again
    probs = {"delayed_delivery": 0.5, "fraud_runaway": 0.45, "other": 0.05}
    step = next_step(probs, {}, branch=0.9)
    assert step.question is not None and step.question.id == "reachable"


def test_at_most_three_questions_are_ever_asked() -> None:
    t = tree()
    for answers in itertools.product(*[[None, *(a.id for a in q.answers)] for q in t.questions.values()]):
        given = {qid: aid for qid, aid in zip(t.questions, answers, strict=True) if aid is not None}
        step = next_step({}, given, branch=0.9)
        assert len(step.used) <= 3


def test_unknown_question_or_answer_is_a_chinese_error_naming_it() -> None:
    with pytest.raises(ValueError, match="没有编号为 nope 的问题"):
        parse_answers(["nope=yes"])
    with pytest.raises(ValueError, match="问题 received 没有回答 maybe"):
        classify(VAGUE, answers={"received": "maybe"})
    with pytest.raises(ValueError, match="问题=回答"):
        parse_answers(["received"])


# --- the same questions on the command line, in the API and in the wizard ------------------------------------------


def test_the_command_applies_answers_and_settles_the_type(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from weiquan.cli import main

    code = main(["classify", VAGUE, "--json"])
    first = json.loads(capsys.readouterr().out)
    assert code == 0 and first["confident"] is False and first["questions"]
    code = main(["classify", VAGUE, "--answer", "received=no", "--answer", "reachable=no", "--json"])
    settled = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (settled["type"], settled["confident"], settled["questions"]) == ("fraud_runaway", True, [])
    assert settled["answers"] == {"received": "no", "reachable": "no"}


def test_the_command_names_a_wrong_answer_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    from weiquan.cli import main

    code = main(["classify", VAGUE, "--answer", "received=maybe"])
    assert code == 2
    assert "问题 received 没有回答 maybe" in capsys.readouterr().err


@pytest.mark.django_db
def test_the_api_asks_then_settles(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/classify", {"text": VAGUE}, content_type="application/json")
    assert r.status_code == 200
    body = r.json()
    assert body["confident"] is False
    qid = body["questions"][0]["id"]
    assert qid == "received"
    r = client.post(
        "/api/classify",
        {"text": VAGUE, "answers": {"received": "yes", "works": "no"}},
        content_type="application/json",
    )
    assert (r.json()["type"], r.json()["confident"]) == ("invalid_code", True)
    r = client.post("/api/classify", {"text": VAGUE, "answers": {"x": "y"}}, content_type="application/json")
    assert r.status_code == 422
    assert "没有编号为 x 的问题" in r.json()["error"]


@pytest.mark.django_db
def test_the_wizard_asks_the_questions_when_unsure_and_takes_the_settled_type(client) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    story = "买了个东西，出了点问题，不知道该怎么办才好"
    assert client.post(reverse("wizard", args=[1]), {"story": story}).status_code == 302
    page = client.get(reverse("wizard", args=[2])).content.decode()
    assert "付款后收到卡密、充值或服务了吗？" in page
    assert 'type="radio" name="answer-received" value="no"' in page
    assert (
        "<script" not in page.split("<footer")[0].split("</header>")[-1]
    )  # plain radio buttons, no inline JS
    # one answer leads to the next question, with no error shown
    r = client.post(reverse("wizard", args=[2]), {"answer-received": "no"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "平台或卖家还联系得上吗？" in page
    assert "有几处需要改一下" not in page
    assert "没收到" in page  # the answer given so far is shown
    # the second answer settles the type and the wizard moves on
    r = client.post(reverse("wizard", args=[2]), {"answer-reachable": "no"})
    assert r.status_code == 302 and r["Location"].endswith(reverse("wizard", args=[3]))
    draft = client.session["case_wizard"]
    assert draft["raw"]["2"]["answer-reachable"] == ["no"]
    assert draft["classification"]["type"] == "fraud_runaway"
    page = client.get(reverse("wizard", args=[2])).content.decode()
    assert 'value="fraud_runaway"' in page and "checked" in page.split('value="fraud_runaway"')[1][:40]
