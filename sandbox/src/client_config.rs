//! The client configuration that points a Dargah client at a sandbox: what
//! `dargah sandbox` prints, `/_control/client-config` serves and the tests use.

use serde_json::{json, Value};

use crate::{creds, creds2};

/// The store `dargah sandbox` and `/_control/client-config` name when none is given.
pub const SANDBOX_STORE: &str = "sqlite://dargah-sandbox.db";

/// One merchant account's credentials at every gateway of the sandbox.
struct Account {
    mupra_api_key: &'static str,
    canpay_merchant: &'static str,
    atipay_api_key: &'static str,
    atipay_terminal_id: &'static str,
    vandar_api_key: &'static str,
    vandar_access_token: &'static str,
    vandar_refresh_token: &'static str,
    vandar_business: &'static str,
    sepal_mobile: &'static str,
    sepal_password: &'static str,
    sepal_api_key: &'static str,
}

const FIRST: Account = Account {
    mupra_api_key: creds::MUPRA_API_KEY,
    canpay_merchant: creds::CANPAY_MERCHANT,
    atipay_api_key: creds::ATIPAY_API_KEY,
    atipay_terminal_id: creds::ATIPAY_TERMINAL_ID,
    vandar_api_key: creds::VANDAR_API_KEY,
    vandar_access_token: creds::VANDAR_ACCESS_TOKEN,
    vandar_refresh_token: creds::VANDAR_REFRESH_TOKEN,
    vandar_business: creds::VANDAR_BUSINESS,
    sepal_mobile: creds::SEPAL_MOBILE,
    sepal_password: creds::SEPAL_PASSWORD,
    sepal_api_key: creds::SEPAL_API_KEY,
};

const SECOND: Account = Account {
    mupra_api_key: creds2::MUPRA_API_KEY,
    canpay_merchant: creds2::CANPAY_MERCHANT,
    atipay_api_key: creds2::ATIPAY_API_KEY,
    atipay_terminal_id: creds2::ATIPAY_TERMINAL_ID,
    vandar_api_key: creds2::VANDAR_API_KEY,
    vandar_access_token: creds2::VANDAR_ACCESS_TOKEN,
    vandar_refresh_token: creds2::VANDAR_REFRESH_TOKEN,
    vandar_business: creds2::VANDAR_BUSINESS,
    sepal_mobile: creds2::SEPAL_MOBILE,
    sepal_password: creds2::SEPAL_PASSWORD,
    sepal_api_key: creds2::SEPAL_API_KEY,
};

/// Every gateway's table for `account`, at a sandbox served at `base`.
fn gateway_tables(base: &str, account: &Account) -> Value {
    json!({
        "mupra": {"api_key": account.mupra_api_key, "base_url": format!("{base}/mupra/restapi/api/ipg/")},
        "canpay": {"merchant": account.canpay_merchant, "base_url": format!("{base}/canpay/api/ipg/")},
        "atipay": {"apiKey": account.atipay_api_key, "terminalId": account.atipay_terminal_id, "base_url": format!("{base}/atipay/v1/")},
        "vandar": {
            "api_key": account.vandar_api_key,
            "ipg_base_url": format!("{base}/vandar/ipg"),
            "api_base_url": format!("{base}/vandar/api"),
            "batch_base_url": format!("{base}/vandar/batch"),
            "subscription_base_url": format!("{base}/vandar/subscription"),
            "access_token": account.vandar_access_token,
            "refresh_token": account.vandar_refresh_token,
            "business": account.vandar_business
        },
        "sepal": {"mobile": account.sepal_mobile, "password": account.sepal_password, "api_key": account.sepal_api_key, "base_url": format!("{base}/sepal")}
    })
}

/// A Dargah client configuration (JSON) pointing every gateway at a sandbox
/// served at `base` (e.g. `http://127.0.0.1:8700`), with the sandbox's
/// credentials, storing payments in `store` (e.g. `sqlite://shop.db`).
pub fn client_config(base: &str, store: &str) -> Value {
    let mut config = gateway_tables(base, &FIRST);
    config["store"] = json!(store);
    config["token_encryption_key"] = json!(creds::DEMO_TOKEN_ENCRYPTION_KEY);
    config
}

/// [`client_config`] with the sandbox's second merchant account named
/// `account` at every gateway (`"vandar": {…, "accounts": {account: {…}}}`).
pub fn client_config_with_accounts(base: &str, store: &str, account: &str) -> Value {
    let mut config = client_config(base, store);
    let second = gateway_tables(base, &SECOND);
    for gateway in ["mupra", "canpay", "atipay", "vandar", "sepal"] {
        config[gateway]["accounts"] = json!({ account: second[gateway].clone() });
    }
    config
}
