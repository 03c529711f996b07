"""The real KServe Python client (kserve 0.21, InferenceRESTClient, protocol
v1) against `kpipe-step serve` at URL; exits non-zero on any mismatch.

    python kserve_client.py http://127.0.0.1:8080
"""

import asyncio
import sys

from kserve import InferenceRESTClient, RESTConfig


async def main(url):
    client = InferenceRESTClient(RESTConfig(protocol="v1", retries=0, timeout=10))
    try:
        assert await client.is_server_live(url), "server not live"
        assert await client.is_model_ready(url, "kubernetes-analysis"), "model not ready"
        res = await client.infer(url, {"instances": ["Fixed a kubelet panic", "Added a new flag"]}, model_name="kubernetes-analysis")
        preds = res["predictions"]
        assert len(preds) == 2 and all(0.0 <= p <= 1.0 for p in preds), res
        res = await client.infer(url, {"text": "Fixed a kubelet panic"}, model_name="kubernetes-analysis")
        assert 0.0 <= res["result"] <= 1.0, res
        try:
            await client.infer(url, {"text": "x"}, model_name="unknown-model")
            raise AssertionError("unknown model accepted")
        except Exception as e:  # the client raises on 404
            assert "404" in str(e) or "does not exist" in str(e), e
        print("kserve InferenceRESTClient v1: ok", preds)
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
