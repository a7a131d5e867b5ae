using System.Net.Sockets;

namespace Fabric.Tftp.Channel;

/// <summary>How a socket error is handled: retry at once, back off, or give up the socket.</summary>
internal enum SocketErrorKind
{
    /// <summary>A datagram-level problem (ICMP unreachable, buffer full): ignore and keep going, UDP is lossy anyway.</summary>
    Transient,

    /// <summary>The host is short of resources: wait a little before the next receive.</summary>
    BackOff,

    /// <summary>The socket is closed or unusable.</summary>
    Fatal,
}

internal static class SocketErrors
{
    public static SocketErrorKind Classify(SocketError error) => error switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.HostUnreachable
            or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown
            or SocketError.MessageSize or SocketError.TimedOut or SocketError.WouldBlock
            or SocketError.Interrupted or SocketError.TryAgain or SocketError.AddressNotAvailable => SocketErrorKind.Transient,
        SocketError.NoBufferSpaceAvailable or SocketError.TooManyOpenSockets or SocketError.SystemNotReady => SocketErrorKind.BackOff,
        _ => SocketErrorKind.Fatal,
    };
}
