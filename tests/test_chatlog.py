"""Importing a chat with customer service: each export format and encoding, the promises, refusals and runaround
found in it, and the case file it moves forward."""

from __future__ import annotations

import csv
import io
import json

import pytest

from weiquan.cli import main
from weiquan.domain.chatlog import ChatLogError, read_chat

QQ_EXPORT = """消息记录（此消息记录为文本格式，不支持重新导入）

================================================================
消息分组:我的好友
================================================================
消息对象:闪电卡盟客服
================================================================

2026-11-21 09:00:05 小明
你好，我在你们这充了200元话费，订单号：SD88812，到现在没到账，怎么回事？

2026-11-21 09:05:10 闪电卡盟客服(800012345)
亲，已记录，我们24小时内处理

2026-11-22 10:00:00 小明
还没到账，什么时候处理？

2026-11-24 15:00:00 小明
怎么不回复了？

2026-11-24 16:00:00 闪电卡盟客服(800012345)
请耐心等待

2026-11-25 16:00:00 闪电卡盟客服(800012345)
请耐心等待，正在处理
"""

WECHAT_TEXT = """2026-11-20 10:30:00 我
卡密显示已被使用，我从来没用过，请退款
2026-11-20 10:32:00 某某卡盟售后
卡密发出后概不退换
2026-11-20 10:35:00 我
那你们什么时候给我解决？
"""

COPY_PASTE = """2026年11月27日 10:00
我：我的订单KM1 卡密无效，能退款吗
客服小王：您好，3个工作日内给您处理
2026年11月27日 11:00
我：好的
客服小王：明天给您回复
"""


def findings(data: bytes, **kw) -> list[dict]:
    return read_chat(data, **kw).to_dict()["findings"]


def test_qq_export_keeps_each_message_with_its_time_and_sender_and_exact_wording():
    log = read_chat(QQ_EXPORT.encode("utf-8")).to_dict()
    assert log["encoding"] == "utf-8"
    first, reply = log["messages"][0], log["messages"][1]
    assert first == {
        "at": "2026-11-21T09:00:05+08:00",
        "sender": "小明",
        "from_platform": False,
        "text": "你好，我在你们这充了200元话费，订单号：SD88812，到现在没到账，怎么回事？",
    }
    assert reply["sender"] == "闪电卡盟客服" and reply["from_platform"] is True
    assert len(log["messages"]) == 6


def test_a_24_hour_promise_has_its_exact_deadline_and_repeated_waiting_is_runaround():
    found = findings(QQ_EXPORT.encode("utf-8"))
    promise = next(f for f in found if f["kind"] == "promise")
    assert promise["text"] == "亲，已记录，我们24小时内处理"
    assert promise["deadline"] == "2026-11-22T09:05:10+08:00"
    runaround = [f for f in found if f["kind"] == "runaround"]
    assert any("请耐心等待" in f["text"] for f in runaround)
    # the question of 11-22 stayed unanswered until 11-24
    assert any(f["text"] == "还没到账，什么时候处理？" and "2天" in f["explain"] for f in runaround)


def test_working_day_promise_skips_the_weekend_and_tomorrow_means_the_next_day():
    found = findings(COPY_PASTE.encode("utf-8"))
    promises = [f for f in found if f["kind"] == "promise"]
    # Friday 2026-11-27 + 3 working days → Wednesday 12-02 (the weekend is not counted), ends at 24:00
    assert promises[0]["deadline"] == "2026-12-03T00:00:00+08:00"
    assert promises[0]["sender"] == "客服小王"
    assert promises[1]["text"] == "明天给您回复"
    assert promises[1]["deadline"].startswith("2026-11-29T00:00")


def test_friday_promise_ends_that_friday():
    text = "2026-11-24 10:00:00 我\n什么时候退款？\n2026-11-24 10:01:00 官方客服\n周五前给您退款\n"
    promise = findings(text.encode("utf-8"))[0]
    assert promise["kind"] == "promise"
    assert promise["deadline"].startswith("2026-11-28T00:00")  # Friday 11-27, until 24:00


def test_refusal_is_found_only_on_the_platform_side():
    found = findings(WECHAT_TEXT.encode("utf-8"))
    assert [f["kind"] for f in found] == ["refusal"]
    assert found[0]["sender"] == "某某卡盟售后" and found[0]["text"] == "卡密发出后概不退换"
    # the consumer quoting "不退" is not a refusal
    mine = "2026-11-20 10:30:00 我\n你们说不退？概不退换是霸王条款\n2026-11-20 10:31:00 客服\n亲，我帮您核实一下\n"
    assert [f for f in findings(mine.encode("utf-8")) if f["kind"] == "refusal"] == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "gbk"])
def test_encodings_are_detected(encoding):
    data = WECHAT_TEXT.encode(encoding)
    log = read_chat(data)
    assert log.encoding == encoding
    assert log.messages[1].text == "卡密发出后概不退换"


def test_utf16_without_bom_is_detected():
    log = read_chat(WECHAT_TEXT.encode("utf-16-le"))
    assert log.encoding == "utf-16" and len(log.messages) == 3


def test_wechat_csv_export_uses_is_sender_to_tell_the_sides_apart():
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "localId",
            "TalkerId",
            "Type",
            "SubType",
            "IsSender",
            "CreateTime",
            "StrContent",
            "StrTime",
            "NickName",
        ]
    )
    w.writerow([1, 5, 1, 0, 1, 1763605800, "充值200元一直没到账", "2026-11-20 10:30:00", "小明"])
    w.writerow([2, 5, 1, 0, 0, 1763605860, "已发货不支持退款", "2026-11-20 10:31:00", "店小二"])
    w.writerow([3, 5, 3, 0, 0, 1763605870, "<img/>", "2026-11-20 10:31:10", "店小二"])
    log = read_chat(buf.getvalue().encode("utf-8-sig")).to_dict()
    assert [m["text"] for m in log["messages"]] == ["充值200元一直没到账", "已发货不支持退款"]
    assert [m["from_platform"] for m in log["messages"]] == [False, True]
    assert log["messages"][1]["at"] == "2026-11-20T10:31:00+08:00"
    assert log["findings"][0]["kind"] == "refusal"


def test_wechat_html_export_reads_sender_time_and_content_blocks():
    page = """<html><head><title>聊天记录</title><style>.x{}</style></head><body>
    <div class="msg"><div class="nickname">小明</div><div class="time">2026-11-20 10:30:00</div>
    <div class="content">卡密无效，请退款</div></div>
    <div class="msg"><div class="nickname">XX卡盟客服</div><div class="time">2026-11-20 10:40:00</div>
    <div class="content">亲，24小时内给您处理&amp;回复</div></div></body></html>"""
    log = read_chat(page.encode("utf-8")).to_dict()
    assert [(m["sender"], m["text"]) for m in log["messages"]] == [
        ("小明", "卡密无效，请退款"),
        ("XX卡盟客服", "亲，24小时内给您处理&回复"),
    ]
    assert log["findings"][0]["deadline"] == "2026-11-21T10:40:00+08:00"


def test_garbled_input_is_refused_in_chinese():
    with pytest.raises(ChatLogError, match="编码|乱码"):
        read_chat(bytes(range(128, 256)) * 40)
    with pytest.raises(ChatLogError, match="没有从文件中读出任何聊天消息"):
        read_chat("这只是一段普通的文字，没有发送人也没有时间。".encode())


def test_cli_chat_json_and_error_exit_code(tmp_path, capsys):
    f = tmp_path / "chat.txt"
    f.write_bytes(QQ_EXPORT.encode("gbk"))
    assert main(["chat", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["encoding"] == "gbk"
    assert {"at", "sender", "from_platform", "text"} == set(out["messages"][0])
    assert {"kind", "at", "sender", "text", "deadline"} <= set(out["findings"][0])
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(range(128, 256)) * 40)
    assert main(["chat", str(bad)]) != 0
    assert "错误" in capsys.readouterr().err


def test_cli_chat_case_merges_findings_so_the_plan_moves_to_12315(tmp_path, capsys):
    case = {
        "description": "在闪电卡盟充值200元话费，到现在还没到账。",
        "amount": 200,
        "paid_at": "2026-11-20T20:15:00+08:00",
        "payment_method": "wechat_pay",
        "platform": {"name": "闪电卡盟"},
        "evidence": [{"kind": "order_screenshot"}, {"kind": "payment_record"}, {"kind": "cs_chat"}],
    }
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    chat = tmp_path / "chat.txt"
    chat.write_text(QQ_EXPORT, encoding="utf-8")
    assert main(["plan", str(case_file), "--today", "2026-11-26", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["next_action"]["channel"] == "platform_cs"

    assert main(["chat", str(chat), "--case", str(case_file)]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert [c["response"] for c in merged["contacts"]] == ["promised", "no_reply", "no_reply"]
    assert merged["contacts"][0]["promise_by"] == "2026-11-22T09:05:10+08:00"
    merged_file = tmp_path / "merged.json"
    merged_file.write_text(json.dumps(merged, ensure_ascii=False), encoding="utf-8")
    assert main(["plan", str(merged_file), "--today", "2026-11-26", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["next_action"]["channel"] == "12315"


@pytest.mark.django_db
def test_api_chat_import_adds_the_findings_as_contacts_of_the_owners_case(client, alice_case, bob):
    from weiquan.accounts.models import ApiToken

    alice = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(alice_case.owner)}"}
    outsider = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(bob)}"}
    url = f"/api/cases/{alice_case.public_id}/chat"
    before = alice_case.contacts.count()
    r = client.post(url, {"file": io.BytesIO(QQ_EXPORT.encode("gbk"))}, **outsider)
    assert r.status_code == 404
    r = client.post(url, {"file": io.BytesIO(QQ_EXPORT.encode("gbk"))}, **alice)
    assert r.status_code == 200, r.content
    assert r.json()["encoding"] == "gbk" and r.json()["contacts_added"] == 3
    # importing the same chat again adds nothing
    r = client.post(url, {"file": io.BytesIO(QQ_EXPORT.encode("utf-8"))}, **alice)
    assert r.json()["contacts_added"] == 0
    assert alice_case.contacts.count() == before + 3
    r = client.post("/api/chat", {"file": io.BytesIO(bytes(range(128, 256)) * 40)}, **alice)
    assert r.status_code == 422 and "乱码" in r.json()["error"]


def test_html_export_with_the_time_before_the_sender():
    page = """<html><body><table>
    <tr><td><div>2026-11-20 10:30:00</div><div>小明</div><div>卡密无效</div></td></tr>
    <tr><td><div>2026-11-20 10:40:00</div><div>XX卡盟客服</div><div>不退</div></td></tr>
    <tr><td><div>2026-11-20 10:41:00</div><div>小明</div><div>为什么？</div></td></tr>
    </table></body></html>"""
    log = read_chat(page.encode("utf-8")).to_dict()
    assert [(m["sender"], m["text"]) for m in log["messages"]] == [
        ("小明", "卡密无效"),
        ("XX卡盟客服", "不退"),
        ("小明", "为什么？"),
    ]
    assert [f["kind"] for f in log["findings"]] == ["refusal"]


def test_a_date_inside_a_message_does_not_start_a_new_one():
    text = "2026-11-20 10:30:00 小明\n我是2026-11-20 10:00付的款\n2026-11-20 我买的卡\n2026-11-20 10:31:00 客服\n概不退换\n"
    log = read_chat(text.encode("utf-8"))
    assert [m.text for m in log.messages] == ["我是2026-11-20 10:00付的款\n2026-11-20 我买的卡", "概不退换"]


def test_utf8_read_as_latin1_is_garbled():
    mojibake = WECHAT_TEXT.encode("utf-8").decode("latin-1").encode("utf-8")
    with pytest.raises(ChatLogError, match="乱码"):
        read_chat(mojibake)
