//! A customer's browser, as far as the demo needs one: open the gateway
//! (follow the GET redirect or submit the POST form), press Pay or Cancel on
//! the payment page, and see where the gateway sends it back — a redirect, or
//! an auto-submitting form. No JavaScript: the pages work without it.

use dargah_core::{CallbackFields, Redirect};
use reqwest::blocking::Client;
use scraper::{Html, Selector};
use url::Url;

pub struct Browser {
    http: Client,
}

/// The request the browser makes to the shop's callback URL.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub url: Url,
    pub form: Vec<(String, String)>,
}

impl Arrival {
    /// What the shop's web server hands to `handle_callback`.
    pub fn fields(&self) -> Result<CallbackFields, String> {
        let query: Vec<(String, String)> = self.url.query_pairs().into_owned().collect();
        CallbackFields::from_pairs(query, self.form.clone()).map_err(|e| e.to_string())
    }
}

struct Page {
    url: Url,
    html: String,
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("a valid built-in selector")
}

/// The first form on the page with its resolved action and its named inputs.
fn first_form(page: &Page) -> Result<(Url, Vec<(String, String)>), String> {
    let doc = Html::parse_document(&page.html);
    let form = doc.select(&selector("form")).next().ok_or_else(|| format!("no form on {}", page.url))?;
    let action = form.value().attr("action").unwrap_or("");
    let action = page.url.join(action).map_err(|e| format!("bad form action {action:?}: {e}"))?;
    let inputs = form
        .select(&selector("input[name]"))
        .map(|i| (i.value().attr("name").unwrap_or("").to_string(), i.value().attr("value").unwrap_or("").to_string()))
        .collect();
    Ok((action, inputs))
}

impl Browser {
    pub fn new() -> Result<Browser, String> {
        let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
        Ok(Browser { http })
    }

    fn page(&self, response: reqwest::blocking::Response) -> Result<Page, String> {
        let url = response.url().clone();
        let status = response.status();
        let html = response.text().map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{url} answered HTTP {status}"));
        }
        Ok(Page { url, html })
    }

    /// Go to the gateway the way the shop's redirect says, and press `button`
    /// ("pay" or "cancel") with a card number; return the trip back to the shop.
    pub fn pay(&self, redirect: &Redirect, button: &str, card: &str) -> Result<Arrival, String> {
        let response = match redirect {
            Redirect::Get { url } => self.http.get(url).send(),
            Redirect::Post { url, fields } => self.http.post(url).form(fields).send(),
        }
        .map_err(|e| format!("cannot open the gateway: {e}"))?;
        let page = self.page(response)?;
        let (action, mut inputs) = first_form(&page)?;
        inputs.retain(|(name, _)| name != "card");
        inputs.push(("card".into(), card.into()));
        inputs.push(("action".into(), button.into()));
        let response = self.http.post(action).form(&inputs).send().map_err(|e| format!("cannot submit the payment page: {e}"))?;
        if response.status().is_redirection() {
            let location = response.headers().get("location").and_then(|l| l.to_str().ok()).ok_or("a redirect without Location")?;
            let url = response.url().join(location).map_err(|e| e.to_string())?;
            return Ok(Arrival { url, form: Vec::new() });
        }
        // An auto-submitting form back to the shop (CanPay, AtiPay).
        let page = self.page(response)?;
        let (url, form) = first_form(&page)?;
        Ok(Arrival { url, form })
    }
}
