# Points the AWS SDK at the local parts. Sourced with DYNAMODB_PORT and MOTO_PORT set.
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
export AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:${DYNAMODB_PORT}"
# DynamoDB Local serves the table streams on its own port too.
export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://127.0.0.1:${DYNAMODB_PORT}"
export AWS_ENDPOINT_URL_EVENTBRIDGE="http://127.0.0.1:${MOTO_PORT}"
export AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:${MOTO_PORT}"
export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:${MOTO_PORT}"
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:${MOTO_PORT}"
