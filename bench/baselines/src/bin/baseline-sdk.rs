//! The hello-world baseline plus what every function builds first: the AWS
//! configuration and one DynamoDB client (no call). Built with the project's HTTPS
//! client, or with `--features sdk-default-tls` with the SDK's own.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    #[cfg(feature = "sdk-default-tls")]
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    #[cfg(not(feature = "sdk-default-tls"))]
    let sdk = partner_hub::sdk::load().await?;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let dynamo = &dynamo;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        // Keeps the client alive and linked, as a function's would be.
        let _ = dynamo.config();
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
