using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase
{
    /// <summary>
    /// A running subscription to <c>/api/v1/events</c> (server-sent events).
    /// It reconnects after a dropped connection with <c>Last-Event-ID</c>, so
    /// the server sends what was missed, and waits out a 429's Retry-After.
    /// A connection silent for <see cref="SilenceTimeout"/> counts as dropped.
    /// Callbacks run where the transport delivers text: Unity's main thread
    /// with <see cref="UnityWebRequestTransport"/>.
    /// </summary>
    public sealed class EventSubscription : IDisposable
    {
        private readonly ApiCaller api;
        private readonly Action<AwardEvent> onAward;
        private readonly Action<LaggedEvent> onLagged;
        private readonly Action<Exception> onError;
        private readonly CancellationTokenSource stop = new CancellationTokenSource();
        private readonly SseParser parser = new SseParser();

        /// <summary>
        /// The id of the last award received (or, before the first, the newest
        /// award's when the stream opened); pass it to a later subscription to resume.
        /// </summary>
        public long LastEventId { get; private set; }

        /// <summary>Whether <see cref="LastEventId"/> came from the server or the caller (0 is an id too: no award yet).</summary>
        private bool knowsLastEventId;

        /// <summary>Wait before reconnecting after the stream ends or breaks.</summary>
        public TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

        /// <summary>
        /// Reconnect when nothing at all arrives for this long. The server sends
        /// a keep-alive every 15 seconds, so silence means a connection that
        /// broke without a word (a laptop that slept, a router that forgot it),
        /// which the socket may never report. Zero or less: never. Read again
        /// at every check, at least once a second. (Back from a pause of more
        /// than this, a Unity app may reconnect once before the keep-alives
        /// waiting for it arrive; <c>Last-Event-ID</c> makes that harmless.)
        /// </summary>
        public TimeSpan SilenceTimeout = TimeSpan.FromSeconds(45);

        /// <summary>When text last arrived, in <see cref="Stopwatch"/> ticks.</summary>
        private long heardAt;

        private static readonly TimeSpan SilenceCheck = TimeSpan.FromSeconds(1);

        /// <summary>Completes once the subscription is disposed.</summary>
        public Task Running { get; private set; }

        private EventSubscription(ApiCaller api, Action<AwardEvent> onAward, Action<LaggedEvent> onLagged, Action<Exception> onError, long lastEventId)
        {
            this.api = api;
            this.onAward = onAward;
            this.onLagged = onLagged;
            this.onError = onError;
            LastEventId = lastEventId;
            knowsLastEventId = lastEventId > 0;
        }

        internal static EventSubscription Start(ApiCaller api, Action<AwardEvent> onAward, Action<LaggedEvent> onLagged, Action<Exception> onError, long lastEventId)
        {
            var subscription = new EventSubscription(api, onAward, onLagged, onError, lastEventId);
            subscription.Running = subscription.Run();
            return subscription;
        }

        public void Dispose()
        {
            stop.Cancel();
        }

        private async Task Run()
        {
            var cancel = stop.Token;
            while (!cancel.IsCancellationRequested)
            {
                var wait = ReconnectDelay;
                try
                {
                    var request = new HttpRequest("GET", api.Url("/api/v1/events"), null);
                    request.Headers["Accept"] = "text/event-stream";
                    if (knowsLastEventId) request.Headers["Last-Event-ID"] = LastEventId.ToString(CultureInfo.InvariantCulture);
                    parser.Reset();
                    var response = await Listen(request, cancel);
                    if (response.Status == 429) wait = ApiCaller.RetryAfter(response);
                    if (response.Status < 200 || response.Status >= 300) Report(api.Error(response));
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    Report(e);
                }
                if (cancel.IsCancellationRequested) break;
                try
                {
                    await api.Delay(wait, cancel);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        /// <summary>One connection, ended early if it falls silent.</summary>
        private async Task<HttpResponse> Listen(HttpRequest request, CancellationToken cancel)
        {
            using (var connection = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                Interlocked.Exchange(ref heardAt, Stopwatch.GetTimestamp());
                var silence = EndIfSilent(connection);
                HttpResponse response = null;
                try
                {
                    response = await api.Transport.StreamAsync(request, OnText, connection.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested && connection.IsCancellationRequested)
                {
                    // Ended for silence: reported below.
                }
                finally
                {
                    connection.Cancel();
                }
                // Stopped meanwhile: nothing to report.
                cancel.ThrowIfCancellationRequested();
                if (await silence)
                    throw new PlayerbaseNetworkException("the event stream was silent for " + SilenceTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s; reconnecting", null);
                return response;
            }
        }

        /// <summary>Cancels <paramref name="connection"/> once nothing has arrived for <see cref="SilenceTimeout"/>; true if it did.</summary>
        private async Task<bool> EndIfSilent(CancellationTokenSource connection)
        {
            while (true)
            {
                long quietTicks = Stopwatch.GetTimestamp() - Interlocked.Read(ref heardAt);
                var timeout = SilenceTimeout;
                var left = timeout <= TimeSpan.Zero ? SilenceCheck : timeout - TimeSpan.FromSeconds(quietTicks / (double)Stopwatch.Frequency);
                if (left <= TimeSpan.Zero)
                {
                    connection.Cancel();
                    return true;
                }
                try
                {
                    await Task.Delay(left < SilenceCheck ? left : SilenceCheck, connection.Token);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }

        private void OnText(string text)
        {
            Interlocked.Exchange(ref heardAt, Stopwatch.GetTimestamp());
            foreach (var message in parser.Feed(text))
            {
                try
                {
                    Dispatch(message);
                }
                catch (Exception e)
                {
                    Report(e);
                }
            }
        }

        private void Dispatch(SseMessage message)
        {
            long id;
            bool hasId = long.TryParse(message.Id, NumberStyles.Integer, CultureInfo.InvariantCulture, out id);
            if (hasId)
            {
                LastEventId = id;
                knowsLastEventId = true;
            }
            if (message.Event == "award")
            {
                var award = api.Json.Parse<AwardEvent>(message.Data);
                if (hasId) award.EventId = id;
                if (onAward != null) onAward(award);
            }
            else if (message.Event == "lagged" && onLagged != null)
            {
                onLagged(api.Json.Parse<LaggedEvent>(message.Data));
            }
        }

        /// <summary>Tells the caller; an exception the caller's handler throws does not end the subscription.</summary>
        private void Report(Exception e)
        {
            if (onError == null) return;
            try
            {
                onError(e);
            }
            catch (Exception)
            {
                // The handler's own failure: nobody else to tell.
            }
        }
    }

    /// <summary>One server-sent event.</summary>
    public sealed class SseMessage
    {
        public string Event = "message";
        public string Id;
        public string Data = "";
    }

    /// <summary>
    /// The text/event-stream format, fed in pieces of any size: lines end
    /// with CR, LF or CRLF; a blank line ends an event; lines starting with
    /// ':' are comments (the server's keep-alives).
    /// </summary>
    public sealed class SseParser
    {
        private readonly StringBuilder line = new StringBuilder();
        private readonly StringBuilder data = new StringBuilder();
        private string eventName;
        private string id;
        private bool hasData;
        private bool lastWasCr;

        public void Reset()
        {
            line.Length = 0;
            data.Length = 0;
            eventName = null;
            id = null;
            hasData = false;
            lastWasCr = false;
        }

        public List<SseMessage> Feed(string text)
        {
            var done = new List<SseMessage>();
            foreach (char c in text)
            {
                if (c == '\n' && lastWasCr) { lastWasCr = false; continue; }
                lastWasCr = c == '\r';
                if (c == '\r' || c == '\n')
                {
                    var message = EndLine(line.ToString());
                    line.Length = 0;
                    if (message != null) done.Add(message);
                }
                else
                {
                    line.Append(c);
                }
            }
            return done;
        }

        private SseMessage EndLine(string text)
        {
            if (text.Length == 0)
            {
                // A message of only an id (the server's opening one) moves the last event id on.
                if (!hasData) { eventName = null; return id == null ? null : new SseMessage { Id = id }; }
                var message = new SseMessage { Event = eventName ?? "message", Id = id, Data = data.ToString() };
                data.Length = 0;
                eventName = null;
                hasData = false;
                return message;
            }
            if (text[0] == ':') return null;
            int colon = text.IndexOf(':');
            string field = colon < 0 ? text : text.Substring(0, colon);
            string value = colon < 0 ? "" : text.Substring(colon + 1);
            if (value.StartsWith(" ")) value = value.Substring(1);
            switch (field)
            {
                case "event": eventName = value; break;
                case "id": id = value; break;
                case "data":
                    if (hasData) data.Append('\n');
                    data.Append(value);
                    hasData = true;
                    break;
            }
            return null;
        }
    }
}
