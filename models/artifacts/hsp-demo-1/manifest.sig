{
 "algorithm": "Ed25519",
 "key_id": "6cb0a01be754a84f",
 "signature": "cbmBcV8/z5cWV4U0ez6VTem67Ad/Pv4QHIj3kzt6e78sBpSS+anOez+BzapNLfgDoI49z0omgZhTALpWqSa5DQ=="
}
