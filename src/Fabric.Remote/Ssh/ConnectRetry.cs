using System.Net.Sockets;
using Polly;
using Polly.Retry;
using Renci.SshNet.Common;

namespace Fabric.Remote.Ssh;

/// <summary>The retry policy for making a connection: refused, reset, timed-out and broken handshakes are retried with
/// exponential back-off and jitter; a host key mismatch, a rejected key and cancellation are not. Commands are never
/// retried (they may have run).</summary>
internal static class ConnectRetry
{
    public static ResiliencePipeline Build(RemoteOptions options, TimeProvider time, Action<int, TimeSpan, Exception?>? onRetry = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.ConnectRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = options.ConnectRetries,
                Delay = options.ConnectRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = arguments =>
                {
                    onRetry?.Invoke(arguments.AttemptNumber + 1, arguments.RetryDelay, arguments.Outcome.Exception);
                    return default;
                },
            });
        }

        return builder.Build();
    }

    /// <summary>Failures of the network or the handshake, which another attempt may not meet.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RemoteHostException => false,
        SshAuthenticationException => false,
        OperationCanceledException => false,
        SocketException or SshConnectionException or SshOperationTimeoutException or ProxyException or IOException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Why a connection failed, in a few words: the socket error ("Connection refused (ConnectionRefused)"),
    /// a timeout, or the innermost message.</summary>
    public static string Reason(Exception exception)
    {
        var inner = exception;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return $"{socket.Message} ({socket.SocketErrorCode})";
            }

            if (e is SshOperationTimeoutException timeout)
            {
                return $"no SSH answer in time ({timeout.Message})";
            }

            inner = e;
        }

        return inner is OperationCanceledException ? exception.Message : inner.Message;
    }
}
