namespace Fabric.Instances.Jobs;

/// <summary>The job kinds of instances. Each job names the instance as its node (so an instance's jobs run one at a
/// time, in order), except <c>node-evacuate</c>, which names the hypervisor.</summary>
public static class InstanceJobKinds
{
    public const string Create = "instance-create";

    public const string Start = "instance-start";

    public const string Stop = "instance-stop";

    public const string Migrate = "instance-migrate";

    public const string Evacuate = "node-evacuate";
}
