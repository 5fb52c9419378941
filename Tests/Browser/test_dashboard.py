"""The dashboard as a person sees it, in headless Chromium: counts, a job's payload, a cron's
next runs, a kill of a running job, the live counter, escaping, and the token."""
import os
import re
import shutil
import time

from playwright.sync_api import expect

from conftest import HOSTILE, Background, tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def count(page, status):
    return int(page.locator(f'[data-count="{status}"]').inner_text().replace(",", "").rstrip("+"))


def wait_for(what, condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_the_overview_shows_counts_workers_the_chart_and_the_demo_cron(fleet, page):
    page.goto(fleet["url"])
    expect(page.locator("h1")).to_have_text("Overview")
    # The worker runs the 30-odd demo jobs: the finished count reaches them without a reload.
    expect(page.locator('[data-count="finished"]')).not_to_have_text("0", timeout=30_000)
    wait_for("31 finished jobs", lambda: count(page, "finished") >= 31)
    wait_for("3 errored jobs", lambda: count(page, "errored") >= 3)
    expect(page.locator("[data-workers]")).to_have_text("1")
    expect(page.locator("#endings-chart rect.finished").first).to_be_visible()
    # The crons table's row: once the cron has ticked, demo.tick has a row in the queue-wait
    # table too.
    crons = page.locator("section").filter(has=page.locator("h2", has_text=re.compile(r"^Crons$")))
    cron_row = crons.locator("tr", has=page.locator("a", has_text="demo.tick"))
    expect(cron_row).to_contain_text("*/10 * * * * *")
    expect(cron_row.locator("[data-next-run]")).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d0"))
    expect(page.locator("table").filter(has_text="p99")).to_contain_text("demo.echo")
    assert page.dialogs == []
    shot = os.path.join(ROOT, ".build", "browser", "dashboard-overview.png")
    os.makedirs(os.path.dirname(shot), exist_ok=True)
    page.screenshot(path=shot, full_page=True)
    if os.environ.get("UPDATE_SCREENSHOT"):
        os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
        shutil.copyfile(shot, os.path.join(ROOT, "docs", "dashboard-overview.png"))


def test_the_live_counter_moves_while_jobs_run_without_a_reload(fleet, page):
    page.goto(fleet["url"])
    wait_for("the first figures", lambda: count(page, "finished") > 0)
    page.evaluate("window.__sameDocument = true")
    before = count(page, "finished")
    tool("enqueue", "demo.echo", "--count", "25", "--store", fleet["store"])
    wait_for("the finished count to move", lambda: count(page, "finished") >= before + 25)
    assert page.evaluate("window.__sameDocument") is True, "the page was not reloaded"
    expect(page.locator("[data-live]")).to_contain_text("live")


def test_a_jobs_page_shows_its_payload_and_timeline(fleet, page):
    job_id = fleet["ids"]["echo"][0]
    page.goto(fleet["url"] + "jobs?name=demo.echo")
    expect(page.locator("table.jobs")).to_contain_text("demo.echo")
    link = page.locator(f'a[href="/jobs/{job_id}"]')
    while link.count() == 0:  # the first job scheduled is on a later page: keyset pages, oldest last
        page.locator('a[rel="next"]').click()
        expect(page.locator("table.jobs")).to_be_visible()
    link.click()
    expect(page.locator("h1")).to_contain_text("demo.echo")
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "finished", timeout=30_000)
    payload = page.locator("pre.json").first
    expect(payload).to_contain_text('"greeting": "hello dashboard"')
    expect(payload).to_contain_text('"n": 42')
    expect(page.locator("table.timeline")).to_contain_text("started")
    expect(page.locator("[data-job-ended]")).not_to_have_text("—")


def test_the_crons_page_shows_the_next_five_runs_of_demo_tick(fleet, page):
    page.goto(fleet["url"] + "crons")
    cron = page.locator("section.cron", has_text="demo.tick")
    expect(cron).to_contain_text("*/10 * * * * *")
    expect(cron).to_contain_text("UTC")
    runs = cron.locator("ol.next-runs li")
    expect(runs).to_have_count(5)
    first, second = runs.nth(0).inner_text(), runs.nth(1).inner_text()
    assert re.search(r":\d0 ", first) and first < second, (first, second)


def test_kill_on_a_running_demo_block_job_kills_it(fleet, page):
    job_id = fleet["ids"]["block"][0]
    page.goto(fleet["url"] + f"jobs/{job_id}")
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "running", timeout=30_000)
    page.locator('button[data-action="kill"]').click()
    expect(page).to_have_url(re.compile(f"/jobs/{job_id}$"))
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "killed", timeout=30_000)
    expect(page.locator('button[data-action="kill"]')).to_have_count(0)
    page.reload()
    expect(page.locator("pre.error")).to_contain_text("Killed")


def test_strings_from_the_store_run_no_script(fleet, page):
    job_id = fleet["ids"]["hostile"]
    for path in ["", "jobs", f"jobs/{job_id}", "jobs?status=errored"]:
        page.goto(fleet["url"] + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, f"{path}: a script from the store ran"
        assert page.locator("img[src=x]").count() == 0, f"{path}: markup from the store became an element"
    page.goto(fleet["url"] + f"jobs/{job_id}")
    expect(page.locator("h1")).to_contain_text("<script>window.__xss = 1</script>")
    expect(page.locator("pre.json")).to_contain_text('onerror=\\"window.__xss = 2\\"')
    expect(page.locator("pre.error")).to_have_text(HOSTILE)
    assert page.dialogs == []


def test_a_dashboard_with_a_token_lets_in_only_who_gives_it(fleet, browser):
    dashboard = Background("dashboard", "--port", "0", "--store", fleet["store"], wait_for=r"dashboard: (http://\S+)",
                           env={"JOB_PROCESSOR_DASHBOARD_TOKEN": "browser-s3cret"})
    try:
        url = dashboard.match.group(1)
        stranger = browser.new_context().new_page()
        response = stranger.goto(url)
        assert response.status == 401
        expect(stranger.locator("body")).not_to_contain_text("Overview")
        stranger.fill('input[name="token"]', "browser-s3cret")
        stranger.click('button[type="submit"]')
        expect(stranger.locator("h1")).to_have_text("Overview")
        assert "token" not in stranger.url, "the token leaves the address bar"
        stranger.goto(url + "crons")
        expect(stranger.locator("h1")).to_have_text("Crons")
        other = browser.new_context().new_page()
        assert other.goto(url + "crons").status == 401, "another browser has no session"
    finally:
        dashboard.stop()
