//! The client configuration that points a Dargah client at a sandbox: what
//! `dargah sandbox` prints, `/_control/client-config` serves and the tests use.

use serde_json::json;

use crate::{creds, creds2};

/// A Dargah client configuration (JSON) pointing every gateway at a sandbox
/// served at `base` (e.g. `http://127.0.0.1:8700`), with the sandbox's
/// credentials, storing payments in `store` (e.g. `sqlite://shop.db`).
pub fn client_config(base: &str, store: &str) -> serde_json::Value {
    json!({
        "store": store,
        "token_encryption_key": creds::DEMO_TOKEN_ENCRYPTION_KEY,
        "mupra": {"api_key": creds::MUPRA_API_KEY, "base_url": format!("{base}/mupra/restapi/api/ipg/")},
        "canpay": {"merchant": creds::CANPAY_MERCHANT, "base_url": format!("{base}/canpay/api/ipg/")},
        "atipay": {"apiKey": creds::ATIPAY_API_KEY, "terminalId": creds::ATIPAY_TERMINAL_ID, "base_url": format!("{base}/atipay/v1/")},
        "vandar": {
            "api_key": creds::VANDAR_API_KEY,
            "ipg_base_url": format!("{base}/vandar/ipg"),
            "api_base_url": format!("{base}/vandar/api"),
            "batch_base_url": format!("{base}/vandar/batch"),
            "subscription_base_url": format!("{base}/vandar/subscription"),
            "access_token": creds::VANDAR_ACCESS_TOKEN,
            "refresh_token": creds::VANDAR_REFRESH_TOKEN,
            "business": creds::VANDAR_BUSINESS
        },
        "sepal": {"mobile": creds::SEPAL_MOBILE, "password": creds::SEPAL_PASSWORD, "api_key": creds::SEPAL_API_KEY, "base_url": format!("{base}/sepal")}
    })
}

/// [`client_config`] with the sandbox's second merchant account named
/// `account` at every gateway (`"vandar": {…, "accounts": {account: {…}}}`).
pub fn client_config_with_accounts(base: &str, store: &str, account: &str) -> serde_json::Value {
    let mut config = client_config(base, store);
    let second = json!({
        "mupra": {"api_key": creds2::MUPRA_API_KEY, "base_url": format!("{base}/mupra/restapi/api/ipg/")},
        "canpay": {"merchant": creds2::CANPAY_MERCHANT, "base_url": format!("{base}/canpay/api/ipg/")},
        "atipay": {"apiKey": creds2::ATIPAY_API_KEY, "terminalId": creds2::ATIPAY_TERMINAL_ID, "base_url": format!("{base}/atipay/v1/")},
        "vandar": {
            "api_key": creds2::VANDAR_API_KEY,
            "ipg_base_url": format!("{base}/vandar/ipg"),
            "api_base_url": format!("{base}/vandar/api"),
            "batch_base_url": format!("{base}/vandar/batch"),
            "subscription_base_url": format!("{base}/vandar/subscription"),
            "access_token": creds2::VANDAR_ACCESS_TOKEN,
            "refresh_token": creds2::VANDAR_REFRESH_TOKEN,
            "business": creds2::VANDAR_BUSINESS
        },
        "sepal": {"mobile": creds2::SEPAL_MOBILE, "password": creds2::SEPAL_PASSWORD, "api_key": creds2::SEPAL_API_KEY, "base_url": format!("{base}/sepal")}
    });
    for gateway in ["mupra", "canpay", "atipay", "vandar", "sepal"] {
        config[gateway]["accounts"] = json!({ account: second[gateway].clone() });
    }
    config
}
