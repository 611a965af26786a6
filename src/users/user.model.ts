import { Column, DataType, Model, Table } from 'sequelize-typescript';

/** The schema itself is owned by `db/migrations`; this maps it for queries. */
@Table({ tableName: 'users', underscored: true })
export class User extends Model {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  declare id: number;

  /** Minor units; `number` because the schema bounds it to Number.MAX_SAFE_INTEGER. */
  @Column({ type: DataType.BIGINT, allowNull: false })
  declare balance: number;

  /** Grows by one with every change of the balance; a bigint, so it never runs out. */
  @Column({ type: DataType.BIGINT, allowNull: false })
  declare version: number;
}
