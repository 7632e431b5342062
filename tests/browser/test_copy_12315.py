"""The seed's story from the home page to a copied 12315 text, on a 390×844 phone in Chromium (issue 8).

Counts the screens and the taps on the way (a fill is one tap: the tap that focuses the box) and prints them; reads
the clipboard after each 复制 and checks every box of the 12315 form; runs axe-core (WCAG 2.1 A/AA) on every page it
passes. Screenshots of the case page and the 12315 page go to $WEIQUAN_SCREENSHOTS (or a temp folder).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # `npm install` (package.json)
# The seed's example (seed §二 第二步): 100 元游戏点卡, 卡密无效, 客服拒绝; the platform written as "名称(域名)".
STORY = (
    "11月20日在某某卡盟(kameng-example.com)买了100元游戏点卡，订单号KM20261120001，"
    "卡密激活时显示已被使用，客服说概不退换，拒绝处理"
)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class Walk:
    """The page, with every tap and every new screen counted, and axe-core run on each screen."""

    def __init__(self, page, shots: Path):
        self.page, self.shots = page, shots
        self.taps, self.screens, self.checked = 0, [], []
        page.on("load", lambda _page: self._screen())

    def _screen(self) -> None:
        path = re.sub(r"^https?://[^/]+", "", self.page.url).split("#")[0]
        self.screens.append(path)

    def tap(self, locator) -> None:
        self.taps += 1
        locator.click()

    def fill(self, locator, text: str) -> None:
        self.taps += 1
        locator.fill(text)

    def axe(self) -> None:
        if not AXE.exists():
            return
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
            WCAG,
        )
        problems = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result]
        assert problems == [], (self.page.url, json.dumps(problems, ensure_ascii=False))
        self.checked.append(self.page.url)


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_the_seed_story_reaches_a_copied_12315_text(browser, browser_context_args, live_server, shots):
    from playwright.sync_api import expect

    context = browser.new_context(
        **browser_context_args, bypass_csp=True, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    walk = Walk(page, shots)
    page.goto(live_server.url + "/")
    walk.axe()

    # Home: the story goes straight in.
    walk.fill(page.get_by_label("用自己的话说说经过"), STORY)
    walk.tap(page.get_by_role("button", name="开始，不用先注册"))

    # Platform and order, with the type the story settled (the type screen is one tap away, not on the way);
    # prefilled from the story; the payee's full name comes from the payment bill.
    expect(page.locator(".type-line")).to_contain_text("问题类型：卡密无效")
    expect(page.locator(".type-line").get_by_role("link", name="改问题类型")).to_be_visible()
    expect(page.get_by_label("平台名称")).to_have_value("某某卡盟")
    expect(page.get_by_label("网址")).to_have_value("kameng-example.com")
    expect(page.get_by_label("买的是什么")).to_have_value("游戏点卡")
    expect(page.get_by_label("订单号")).to_have_value("KM20261120001")
    expect(page.get_by_label("付了多少钱（元）")).to_have_value("100")
    expect(page.get_by_label("付款日期")).to_have_value("2026-11-20")
    walk.axe()
    page.screenshot(path=shots / "wizard-details.png", full_page=True)
    walk.fill(page.get_by_label("收款方全称（可选）"), "某某网络科技有限公司")
    walk.tap(page.get_by_role("button", name="下一步"))

    # One screen: the refusal told in the story, prefilled; the evidence held; an account — one tap saves all.
    expect(page.get_by_label("哪天联系的")).to_have_value("2026-11-20")
    expect(page.get_by_label("对方怎么回应")).to_have_value("refused")
    expect(page.get_by_label("对方的答复（可选）")).to_have_value("概不退换")
    for label in ("订单截图", "支付记录", "客服聊天记录"):
        walk.tap(page.get_by_role("checkbox", name=re.compile(f"^{label}")))
    walk.fill(page.get_by_label("用户名"), "xiaoming")
    walk.fill(page.get_by_label("密码", exact=True), "kami-refund-2026!")
    walk.fill(page.get_by_label("密码确认"), "kami-refund-2026!")
    walk.axe()
    page.screenshot(path=shots / "wizard-last.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    walk.tap(page.get_by_role("button", name="生成维权计划"))

    # The case page: the next step first, the rest folded.
    expect(page.locator("#next h2")).to_have_text("全国12315平台")
    expect(page.locator("details#ladder")).not_to_have_attribute("open", "")
    walk.axe()
    page.screenshot(path=shots / "case-page.png", full_page=False)
    page.screenshot(path=shots / "case-page-full.png", full_page=True)
    first_screen = page.evaluate("document.documentElement.scrollHeight") / 844
    walk.tap(page.get_by_role("link", name="逐项复制：12315 投诉"))

    # The 12315 page: each box, and what its 复制 button puts on the clipboard.
    expect(page.get_by_role("heading", level=1)).to_have_text("12315 投诉")
    walk.axe()
    page.screenshot(path=shots / "12315.png", full_page=True)
    fields = page.locator(".form-field")
    expected = {
        "被投诉方名称": "某某网络科技有限公司",
        "网站/店铺名称": "某某卡盟",
        "网址": "kameng-example.com",
        "购买时间": "2026年11月20日",
        "金额（元）": "100.00",
        "订单号": "KM20261120001",
        "商品名称": "游戏点卡",
        "投诉问题": "卡密无效",
        "诉求": "请求督促被投诉方补发可正常使用的有效卡密或全额退还货款100.00元。",
        "证据": "订单截图、支付记录、客服聊天记录",
    }
    copied: dict[str, str] = {}
    first = True
    for i in range(fields.count()):
        box = fields.nth(i)
        label = box.locator(".ff-label").inner_text()
        button = box.get_by_role("button", name="复制")
        if not button.count():
            continue
        if first:
            walk.tap(button)  # the tap that counts: the first copied text
            first = False
        else:
            button.click()
        expect(button).to_have_text("已复制")
        copied[label] = clipboard(page)
    taps, screens = walk.taps, len(walk.screens)
    print(f"\nseed story → copied 12315 text: {screens} screens, {taps} taps ({' → '.join(walk.screens)})")
    print(f"case page: {first_screen:.1f} phone screens tall; axe-core checked {len(walk.checked)} pages")
    # home → platform and order → contacts, evidence and sign-up → the plan → the 12315 boxes
    case_url = re.fullmatch(r"(/cases/[0-9a-f-]{36}/)", walk.screens[3] if screens > 3 else "")
    assert case_url, walk.screens
    assert walk.screens == ["/", "/new/3/", "/new/4/", case_url[1], case_url[1] + "forms/12315/"]
    assert (screens, taps) == (5, 13)  # issue 8 asks for at most 5 screens and 15 taps

    for label, value in expected.items():
        assert copied[label] == value, (label, copied.get(label))
    facts = copied["事实与理由"]
    assert facts.startswith(
        "本人于2026年11月20日在某某卡盟（kameng-example.com）购买游戏点卡，通过支付宝付款100.00元"
    )
    assert "答复称“概不退换”" in facts and "请市场监督管理部门依法处理。" in facts
    assert "【" not in "".join(copied.values())  # slots and tips stay outside the copied text
    # Still missing: asked on the page, not pasted.
    expect(page.locator(".form-field.missing .ff-missing")).to_have_text(
        ["【请填写：经营者地址】", "【请填写：统一社会信用代码】"]
    )

    # Missing facts asked inline: the address is saved to the case and the box completes itself.
    page.get_by_label("经营者地址").fill("广东省深圳市南山区某某路1号")
    page.get_by_role("button", name="保存到案件").click()
    expect(page.locator(".msg-success")).to_contain_text("已保存到案件")
    address = page.locator(".form-field").filter(
        has=page.get_by_role("heading", name="被投诉方地址", exact=True)
    )
    address.get_by_role("button", name="复制").click()
    expect(address.get_by_role("button", name="复制")).to_have_text("已复制")
    assert clipboard(page) == "广东省深圳市南山区某某路1号"
    walk.axe()

    # The downloads are still there.
    for name in ("文本", "Word", "PDF"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_the_copy_button_falls_back_where_the_clipboard_api_is_missing(
    browser, browser_context_args, live_server
):
    """iOS Safari over plain HTTP has no navigator.clipboard: the textarea + execCommand path must still copy."""
    from django.contrib.auth import get_user_model

    from weiquan.cases.models import Case

    user = get_user_model().objects.create_user("xiaohong", password="kami-refund-2026!")
    seed = json.loads((ROOT / "examples" / "seed-invalid-code.json").read_text(encoding="utf-8"))
    case = Case.create_from_case_file(user, seed)
    context = browser.new_context(**browser_context_args, permissions=["clipboard-read", "clipboard-write"])
    # Hide the Clipboard API from the page's scripts, as on an insecure iOS page.
    context.add_init_script(
        "window.__clipboard = navigator.clipboard;"
        "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true})"
    )
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("xiaohong")
    page.get_by_label("密码").fill("kami-refund-2026!")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/cases/{case.public_id}/forms/12315/")
    box = page.locator(".form-field").filter(has=page.get_by_role("heading", name="订单号", exact=True))
    box.get_by_role("button", name="复制").click()
    from playwright.sync_api import expect

    expect(box.get_by_role("button", name="复制")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard") is None  # the fallback path was the one taken
    assert page.evaluate("window.__clipboard.readText()") == "KM20261120001"
    context.close()


def test_every_new_page_passes_axe(browser, browser_context_args, live_server, shots):
    """The other form pages, the password reset, the 404 page and the account page (calendar copy button)."""
    if not AXE.exists():
        pytest.skip("axe-core missing: run `npm install` in the repository")
    from django.contrib.auth import get_user_model

    from weiquan.cases.models import Case

    user = get_user_model().objects.create_user("xiaoli", password="kami-refund-2026!")
    seed = json.loads((ROOT / "examples" / "seed-invalid-code.json").read_text(encoding="utf-8"))
    case = Case.create_from_case_file(user, seed)
    context = browser.new_context(**browser_context_args, bypass_csp=True)
    page = context.new_page()
    walk = Walk(page, shots)
    for url in ("/accounts/password/reset/", "/no-such-page/", "/accounts/login/"):
        page.goto(live_server.url + url)
        walk.axe()
    page.get_by_label("用户名").fill("xiaoli")
    page.get_by_label("密码").fill("kami-refund-2026!")
    page.get_by_role("button", name="登录").click()
    for kind in ("heimao", "alipay", "platform_cs", "12315"):
        page.goto(f"{live_server.url}/cases/{case.public_id}/forms/{kind}/")
        walk.axe()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, kind
    page.goto(f"{live_server.url}/cases/{case.public_id}/forms/heimao/")
    page.screenshot(path=shots / "heimao.png", full_page=True)
    page.goto(live_server.url + "/accounts/")
    walk.axe()
    page.goto(live_server.url + "/no-such-page/")
    expect_404 = page.get_by_role("heading", level=1)
    assert expect_404.inner_text() == "找不到这个页面"
    assert len(walk.checked) == 8
    context.close()
