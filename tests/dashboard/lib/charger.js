'use strict';
// A charge point played frame by frame over a raw WebSocket (subprotocol ocpp1.6): it sends the
// CALLs the test asks for and answers the server's CALLs with the test's handler.

const WebSocket = require('ws');

class RawCharger {
    static async connect(ocppUrl, id, onCall) {
        const socket = new WebSocket(`${ocppUrl}/${id}`, 'ocpp1.6');
        await new Promise((resolve, reject) => {
            socket.once('open', resolve);
            socket.once('error', reject);
        });
        if (socket.protocol !== 'ocpp1.6') throw new Error(`the server agreed on ${JSON.stringify(socket.protocol)}, not ocpp1.6`);
        return new RawCharger(socket, onCall);
    }

    constructor(socket, onCall) {
        this.socket = socket;
        this.next = 1;
        this.pending = new Map();
        socket.on('message', async (data) => {
            const frame = JSON.parse(data.toString());
            if (frame[0] === 2) {
                const answer = await onCall(frame[2], frame[3]);
                socket.send(JSON.stringify([3, frame[1], answer]));
                return;
            }
            const waiting = this.pending.get(frame[1]);
            if (!waiting) return;
            this.pending.delete(frame[1]);
            if (frame[0] === 3) waiting.resolve(frame[2]);
            else waiting.reject(new Error(`CALLERROR ${JSON.stringify(frame)}`));
        });
    }

    /** Sends a CALL; resolves to the CALLRESULT's payload. */
    call(action, payload) {
        const id = `dash-${this.next++}`;
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no answer to ${action} within 10 s`)), 10_000);
            this.pending.set(id, {
                resolve: (v) => { clearTimeout(timer); resolve(v); },
                reject: (e) => { clearTimeout(timer); reject(e); },
            });
            this.socket.send(JSON.stringify([2, id, action, payload]));
        });
    }

    close() {
        this.socket.close();
    }
}

module.exports = { RawCharger };
