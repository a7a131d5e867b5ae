using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Fabric.Dhcp.Server.Io;

/// <summary>The few Linux socket calls the batched channel needs, with blittable x86-64/arm64 layouts of their
/// structures (struct mmsghdr, msghdr, iovec, sockaddr_in, pollfd).</summary>
internal static unsafe partial class LinuxSocketCalls
{
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int MsgTrunc = 0x20;
    public const int MsgDontWait = 0x40;
    public const int MsgWaitForOne = 0x10000;
    public const short PollIn = 0x1;
    public const short PollOut = 0x4;
    public const ushort AfInet = 2;
    public const int SolSocket = 1;
    public const int SoReceiveTimeout = 20;

    /// <summary>sendmmsg(2)'s shape, so a test can put a kernel that takes only part of a batch in its place.</summary>
    public delegate int SendManyFn(int fd, MMsgHdr* messages, uint count, int flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* IoVec;
        public nuint IoVecLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn
    {
        public ushort Family;
        public ushort Port;
        public uint Address;
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMany(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMany(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollFd* fds, nuint count, int timeout);

    public static int Poll(int fd, short events, int timeoutMs)
    {
        var p = new PollFd { Fd = fd, Events = events };
        return PollNative(&p, 1, timeoutMs);
    }

    /// <summary>A sockaddr_in field (network byte order in memory) to the host value the codec uses.</summary>
    public static uint FromNetwork(uint value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    public static int FromNetwork(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    public static uint ToNetwork(uint value) => FromNetwork(value);

    public static ushort ToNetwork(ushort value) => (ushort)FromNetwork(value);
}
