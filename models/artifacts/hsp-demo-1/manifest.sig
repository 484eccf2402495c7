{
 "algorithm": "Ed25519",
 "key_id": "6cb0a01be754a84f",
 "signature": "M2w59cRYveKACm9V1U8CXb4ULiNwx/Ia/NEFXiSxGj7okPE/UkOzt86D+HRaMaZD4f3F1tBHahBIczV9kgn2Aw=="
}
