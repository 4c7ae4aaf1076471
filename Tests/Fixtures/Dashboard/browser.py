"""Drives the Garrison dashboard in headless Chromium (Debian's chromium + chromium-driver,
PyPI selenium): one scenario per run, a screenshot of the end state in OUTDIR either way.

usage: browser.py SCENARIO BASE_URL OUTDIR ARGS_JSON
Prints "ok <facts>" and exits 0, or prints what went wrong and exits 1.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("GARRISON_CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--ignore-certificate-errors", "--window-size=1280,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    # An explicit driver path: selenium must not try to download one.
    service = Service(executable_path=os.environ.get("GARRISON_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def wait(driver, condition, seconds=10):
    return WebDriverWait(driver, seconds, poll_frequency=0.05).until(condition)


def sign_in(driver, base, user, password):
    driver.get(base + "/")
    username = wait(driver, EC.element_to_be_clickable((By.ID, "username")))
    # The keyboard alone: type, tab to the password, Enter submits.
    username.send_keys(user, Keys.TAB)
    active = driver.switch_to.active_element
    if active.get_attribute("id") != "password":
        raise AssertionError(f"Tab from the username went to {active.get_attribute('id')!r}, not the password")
    active.send_keys(password, Keys.ENTER)


def rows(driver):
    """hostname -> status of every row of the agent table."""
    table = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#agent-table tbody")))
    found = {}
    for row in table.find_elements(By.CSS_SELECTOR, "tr"):
        name = row.find_element(By.CSS_SELECTOR, "th").text.strip()
        badge = row.find_element(By.CSS_SELECTOR, ".cell-status .status")
        found[name] = (badge.get_attribute("data-status"), badge.text.strip())
    return found


def check_list(driver, expect, absent):
    found = rows(driver)
    for name, status in expect.items():
        if name not in found:
            raise AssertionError(f"{name} is not listed; the list has {sorted(found)}")
        data_status, text = found[name]
        if data_status != status or status.lower() not in text.lower():
            raise AssertionError(f"{name} shows {data_status!r} ({text!r}), expected {status!r} with its word")
    for name in absent:
        if name in found or name in driver.find_element(By.TAG_NAME, "main").text:
            raise AssertionError(f"{name} is visible to this operator")
    return found


def scenario_signin(driver, base, args):
    # A wrong password first: the API's words appear, the page is not blank.
    sign_in(driver, base, args["user"], "wrong-" + args["password"])
    error = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "#signin-error .error")))
    if "Bad credentials" not in error.text:
        raise AssertionError(f"the sign-in error says {error.text!r}")
    sign_in(driver, base, args["user"], args["password"])
    found = check_list(driver, args.get("expect", {}), args.get("absent", []))
    focus = driver.execute_script(
        "const a = document.querySelector('#agent-table a'); a.focus(); return getComputedStyle(a).outlineStyle;")
    if focus in ("none", ""):
        raise AssertionError("a focused link shows no outline")
    return f"rows={len(found)}"


def scenario_totp(driver, base, args):
    """Two-factor required and not set up: enroll from the QR screen, then sign in with a code."""
    import pyotp
    sign_in(driver, base, args["user"], args["password"])
    code = wait(driver, EC.element_to_be_clickable((By.ID, "enroll-code")))
    qr = driver.find_element(By.CSS_SELECTOR, "img.qr")
    if not driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr):
        raise AssertionError("the QR code image did not load")
    totp = pyotp.TOTP(driver.find_element(By.ID, "totp-secret").text.strip())
    # The previous step's code confirms (the window admits it), so the current one is still
    # unused for the sign-in that follows (a code works once).
    code.send_keys(totp.at(time.time() - 30), Keys.ENTER)
    proceed = wait(driver, EC.element_to_be_clickable((By.ID, "enroll-continue")))
    if len(driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")) != 10:
        raise AssertionError("the recovery codes are not shown")
    proceed.send_keys(Keys.ENTER)
    wait(driver, EC.element_to_be_clickable((By.ID, "totp"))).send_keys(totp.now(), Keys.ENTER)
    wait(driver, EC.presence_of_element_located((By.ID, "agent-results")))
    wait(driver, lambda d: d.find_element(By.ID, "agent-results").get_attribute("aria-busy") == "false")
    found = driver.find_elements(By.CSS_SELECTOR, "#agent-table tbody tr")
    if not driver.find_element(By.ID, "who").text == args["user"]:
        raise AssertionError("the header does not name the operator")
    return f"rows={len(found)}"


def scenario_live(driver, base, args):
    sign_in(driver, base, args["user"], args["password"])
    check_list(driver, {args["agent"]: "online"}, [])
    # The counts arrive over /ws/dashinfo/: the socket is open before the change is made.
    wait(driver, EC.text_to_be_present_in_element((By.ID, "counts"), "Servers:"))
    open(args["ready"], "w").close()
    deadline = time.time() + 30
    while not os.path.exists(args["go"]):
        if time.time() > deadline:
            raise AssertionError("the test never made the change")
        time.sleep(0.01)
    started = time.time()
    selector = f'#agent-table tr[data-agent-id="{args["agent_id"]}"] .status[data-status="offline"]'
    try:
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, selector)), seconds=2)
    except TimeoutException:
        raise AssertionError(f"the row of {args['agent']} did not change to offline within 2 s: {rows(driver)}")
    elapsed = time.time() - started
    if driver.execute_script("return performance.getEntriesByType('navigation').length") != 1:
        raise AssertionError("the page was reloaded")
    return f"elapsed={elapsed:.3f}"


def scenario_render(driver, base, args):
    """garrison-bench dashboard: milliseconds from navigation start to the agent table on
    screen, signed in already (the token in local storage), `rounds` times; and the bytes the
    first page transferred."""
    driver.get(base + "/dashboard/favicon.svg")
    driver.execute_script("localStorage.setItem('garrison.token', arguments[0]); localStorage.setItem('garrison.user', 'admin')", args["token"])
    times = []
    transferred = 0
    for round_ in range(args.get("rounds", 5)):
        driver.get("about:blank")
        if round_ == 0:
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        driver.get(base + "/#/agents")
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#agent-table tbody tr")), seconds=30)
        times.append(driver.execute_script("return performance.now()"))
        if round_ == 0:
            transferred = driver.execute_script(
                "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
                ".filter(e => !e.name.includes('/agents/') && !e.name.includes('/clients/') && !e.name.includes('/ws/'))"
                ".reduce((n, e) => n + (e.transferSize || 0), 0)")
            driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    rows = len(driver.find_elements(By.CSS_SELECTOR, "#agent-table tbody tr"))
    caption = driver.find_element(By.CSS_SELECTOR, "#agent-table caption").text
    return "first_ms=%.0f ms=%s rows=%d caption=%r page_bytes=%d" % (
        times[0], ",".join("%.0f" % t for t in times), rows, caption, transferred)


def main():
    name, base, outdir, args = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    os.makedirs(outdir, exist_ok=True)
    driver = browser()
    try:
        facts = globals()["scenario_" + name](driver, base, args)
        print("ok", facts, flush=True)
        status = 0
    except Exception as error:  # noqa: BLE001 - any failure is reported with the screenshot
        print(f"FAILED {type(error).__name__}: {error}", flush=True)
        try:
            print("page text:", driver.find_element(By.TAG_NAME, "body").text[:2000], flush=True)
            for entry in driver.get_log("browser")[-20:]:
                print("console:", entry.get("message"), flush=True)
        except Exception:  # noqa: BLE001
            pass
        status = 1
    finally:
        driver.save_screenshot(os.path.join(outdir, f"{name}.png"))
        driver.quit()
    sys.exit(status)


if __name__ == "__main__":
    main()
