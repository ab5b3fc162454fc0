def test_a_csp_violation_would_be_caught(pages):
    """Every journey fails on a Content Security Policy violation; this plants one to show
    that the watch works, then clears it."""
    page = pages.new()
    page.goto("/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.planted = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_function("() => document.readyState === 'complete'")
    assert page.evaluate("() => window.planted") is None
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in problem for problem in pages.problems)
    pages.problems.clear()
