"""A phone agent built the way Pipecat's Twilio examples build one, with its model URL pointed at
our local server: Pipecat's ``TwilioFrameSerializer`` on its ``FastAPIWebsocketTransport``, in
front of ``OpenAIRealtimeLLMService``, served by uvicorn (issue 75: a Twilio implementation no
one here wrote, for voicechat's side of the phone network to call).

Run by tests/foreign/test_pipecat_twilio.py with the python of ``.venv-pipecat``; never
imported by the suite.

    python pipecat_twilio_agent.py REALTIME_URL PORT

``POST /incoming-call`` answers ``<Say>`` then ``<Connect><Stream url="wss://HOST/media-stream">``
with HOST the request's host name and no port, as Twilio's own sample builds it (behind a tunnel
the port is dropped); ``/media-stream`` reads Twilio's ``connected`` and ``start`` as Pipecat's
``parse_telephony_websocket`` does, then runs the pipeline until the call ends. It prints
``ready`` once it listens. Auto hang-up (Twilio's REST API) is off: there is no REST API here.
"""

from __future__ import annotations

import json
import sys

import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import Response
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.services.openai.realtime import events
from pipecat.services.openai.realtime.llm import OpenAIRealtimeLLMService
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from pipecat.workers.runner import WorkerRunner

REALTIME_URL = sys.argv[1]
PORT = int(sys.argv[2])
app = FastAPI()


@app.post("/incoming-call")
async def incoming_call(request: Request) -> Response:
    twiml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
             "<Say>Connecting you to the assistant</Say>"
             f"<Connect><Stream url=\"wss://{request.url.hostname}/media-stream\">"
             "<Parameter name=\"source\" value=\"pipecat\"/></Stream></Connect></Response>")
    return Response(content=twiml, media_type="application/xml")


@app.websocket("/media-stream")
async def media_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    messages = websocket.iter_text()
    await messages.__anext__()  # connected
    start = json.loads(await messages.__anext__())["start"]
    print(json.dumps({"start": start}), file=sys.stderr, flush=True)
    serializer = TwilioFrameSerializer(
        stream_sid=start["streamSid"], call_sid=start["callSid"],
        account_sid=start["accountSid"],
        params=TwilioFrameSerializer.InputParams(auto_hang_up=False))
    transport = FastAPIWebsocketTransport(websocket=websocket, params=FastAPIWebsocketParams(
        audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
        serializer=serializer))
    session = events.SessionProperties(audio=events.AudioConfiguration(
        input=events.AudioInput(transcription=events.InputAudioTranscription())))
    llm = OpenAIRealtimeLLMService(api_key="sk-local", base_url=REALTIME_URL,
                                   settings=OpenAIRealtimeLLMService.Settings(
                                       system_instruction="You answer the phone. Be brief.",
                                       session_properties=session))
    aggregators = LLMContextAggregatorPair(LLMContext([]))
    pipeline = Pipeline([transport.input(), aggregators.user(), llm, transport.output(),
                         aggregators.assistant()])
    worker = PipelineWorker(pipeline, params=PipelineParams(
        audio_in_sample_rate=8000, audio_out_sample_rate=8000), cancel_on_idle_timeout=False)

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport: object, client: object) -> None:
        await worker.cancel()

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await runner.run()


class Ready(uvicorn.Server):
    async def startup(self, sockets: object = None) -> None:
        await super().startup(sockets=sockets)  # type: ignore[arg-type]
        print("ready", flush=True)


if __name__ == "__main__":
    Ready(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="warning")).run()
