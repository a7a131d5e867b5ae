using Fabric.Remote.Commands;

namespace Fabric.Remote.Tests.Commands;

public sealed class RemoteCommandTests
{
    [Fact]
    public void Of_ProgramAndArguments_QuotedOneByOne()
    {
        var command = RemoteCommand.Of("vblade", "0", "1", "eth0", "/srv/fabric/volumes/a b.img");

        Assert.Equal(["vblade", "0", "1", "eth0", "/srv/fabric/volumes/a b.img"], command.Arguments);
        Assert.Equal("vblade 0 1 eth0 '/srv/fabric/volumes/a b.img'", command.ShellText);
        Assert.Equal(command.ShellText, command.ToString());
    }

    [Fact]
    public void Script_ValuesArePositionalParameters()
    {
        var command = RemoteCommand.Script("cat /proc/mdstat | grep -- \"$1\"", "md0; reboot");

        Assert.Equal("sh -c 'cat /proc/mdstat | grep -- \"$1\"' sh 'md0; reboot'", command.ShellText);
    }

    [Fact]
    public void Equals_SameArguments_Equal()
    {
        Assert.Equal(RemoteCommand.Of("true"), RemoteCommand.Of("true"));
        Assert.NotEqual(RemoteCommand.Of("echo", "a b"), RemoteCommand.Of("echo", "a", "b"));
    }

    [Theory]
    [InlineData("")]
    public void Of_NoProgram_Refused(string program) =>
        Assert.Throws<ArgumentException>(() => RemoteCommand.Of(program));

    [Fact]
    public void EnsureSuccess_NonZeroExit_ThrowsWithCommandTargetAndLastErrorLine()
    {
        var result = new RemoteCommandResult(RemoteCommand.Of("mdadm", "--re-add", "/dev/md0"), "root@10.0.0.5:22", 1, null, "", "warning\nmdadm: cannot re-add\n", TimeSpan.Zero);

        var failed = Assert.Throws<RemoteCommandFailedException>(() => result.EnsureSuccess());

        Assert.Equal("root@10.0.0.5:22: 'mdadm --re-add /dev/md0' exited 1: mdadm: cannot re-add", failed.Message);
        Assert.Same(result, failed.Result);
    }
}
